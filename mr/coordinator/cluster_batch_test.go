// cluster_batch_test.go: a job of many reduce tasks hands them out in
// batches: its outputs are the same, file for file, as when they go one
// by one (the two jobs' keys hashed alike), its summary still lists
// every task with its own attempt, a worker killed while batches run
// costs only its attempts and outputs, and a coordinator restarted with
// its journal keeps the reduces committed before.

package coordinator_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/worker"
)

func TestBatchedReducesEqualOneByOne(t *testing.T) {
	inputs := Inputs(t, 3)
	outs := map[int]string{}
	for _, batch := range []int{0, 1} { // 0: the default, batches; 1: one by one
		cfg := Config(t.TempDir())
		cfg.NReduce = 300
		cfg.SetReduceBatch(batch)
		cfg.SetPartitionSeed(7) // the same partitions in both jobs
		cl := Start(t, cfg, inputs, WordCount(), 2)
		if err := cl.Wait(); err != nil {
			t.Fatal(err)
		}
		cl.CheckOutput(inputs)
		outs[batch] = cfg.OutDir
		sum := cl.C.Summary()
		together := map[string]int{} // reduce attempts by worker and start
		for _, ts := range sum.Tasks {
			if ts.AbsorbedBy != "" {
				continue // its input mapped by another map task's attempt
			}
			if len(ts.Attempts) != 1 || ts.Winner != ts.Attempts[0].ID {
				t.Errorf("batch %d: %s: %d attempts, winner %q", batch, ts.Task, len(ts.Attempts), ts.Winner)
			}
			if a := ts.Attempts[0]; strings.HasPrefix(ts.Task, "reduce-") {
				together[a.Worker+" "+a.Start]++
			}
		}
		most := 0
		for _, n := range together {
			most = max(most, n)
		}
		if batch == 0 && most < 4 {
			t.Errorf("batched: at most %d reduce attempts started together on a worker; want batches", most)
		}
	}
	for r := range 300 {
		name := "mr-out-" + strconv.Itoa(r)
		a, errA := os.ReadFile(filepath.Join(outs[0], name))
		b, errB := os.ReadFile(filepath.Join(outs[1], name))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Fatalf("%s differs batched and one by one (%v, %v)", name, errA, errB)
		}
	}
}

// Killing a worker that holds map output while batches of reduce tasks
// run: its batch's attempts and its outputs are redone, the reducers
// that could not fetch from it locate them again, and the output is the
// sequential one.
func TestBatchesSurviveAKilledOutputHolder(t *testing.T) {
	inputs := Inputs(t, 6)
	app := WordCount()
	mapFn, reduce := app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue { // 500 keys, so that most reduce tasks have some
		kvs := mapFn(name, contents)
		for i := range kvs {
			kvs[i].Key += "-" + strconv.Itoa(i%500)
		}
		return kvs
	}
	// Once armed (after a reduce has won, so that assignments carry
	// batches), every Reduce call waits at the gate: each reducer stops
	// inside its assignment, and the victim is a worker holding a batch.
	gate := make(chan struct{})
	var armed atomic.Bool
	app.Reduce = func(k string, vs []string) string {
		if armed.Load() {
			<-gate
		}
		return reduce(k, vs)
	}
	cfg := Config(t.TempDir())
	cfg.NReduce = 200
	cl := Start(t, cfg, inputs, app, 3)
	cl.WaitFor("a reduce won", func(sum protocol.Summary) bool {
		return slices.ContainsFunc(sum.Tasks, func(ts protocol.TaskSummary) bool {
			return strings.HasPrefix(ts.Task, "reduce-") && ts.Winner != ""
		})
	})
	armed.Store(true)
	var id string
	cl.WaitFor("a worker holds a batch", func(sum protocol.Summary) bool {
		id = batchHolder(sum, mapOwners(sum))
		return id != ""
	})
	victim := slices.IndexFunc(cl.Workers, func(w *worker.Worker) bool { return w.ID() == id })
	cl.KillAndFinish(victim, id, gate, inputs)
	died := 0
	for _, ts := range cl.C.Summary().Tasks {
		if ts.AbsorbedBy != "" {
			continue // its input mapped by another map task's attempts
		}
		won := 0
		for _, a := range ts.Attempts {
			if a.Outcome == "won" {
				won++
			}
		}
		if won != 1 || ts.Winner == "" {
			t.Errorf("%s: %d attempts won, winner %q", ts.Task, won, ts.Winner)
		}
		for _, a := range ts.Attempts {
			if a.Worker == id && a.Outcome == "died" && strings.HasPrefix(ts.Task, "reduce-") {
				died++
			}
		}
	}
	if died < 2 {
		t.Errorf("%d reduce attempts died with the victim, want its batch's", died)
	}
}

// batchHolder is a worker running two reduce attempts or more (a batch),
// one that holds map output if any does; "" if none runs a batch.
func batchHolder(sum protocol.Summary, owners map[string]int) string {
	running := make(map[string]int)
	for _, ts := range sum.Tasks {
		for _, a := range ts.Attempts {
			if strings.HasPrefix(ts.Task, "reduce-") && a.Outcome == "running" {
				running[a.Worker]++
			}
		}
	}
	holder := ""
	for w, n := range running {
		if n >= 2 && (holder == "" || owners[w] > owners[holder]) {
			holder = w
		}
	}
	return holder
}

// A journaled job whose coordinator stops while batches run resumes: the
// reduces committed before are kept, one by one, the batch attempts of
// before are stale, and the output is mrsequential's.
func TestBatchesSurviveTheirCoordinator(t *testing.T) {
	inputs := Inputs(t, 4)
	app := WordCount()
	mapFn, reduce := app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue { // 300 keys, so that most reduce tasks have some
		kvs := mapFn(name, contents)
		for i := range kvs {
			kvs[i].Key += "-" + strconv.Itoa(i%300)
		}
		return kvs
	}
	// Every reducer stops inside a batch until the restart, once 3/5 of
	// the job's keys are reduced: a share of the keys, not a count, so
	// that how the keys' hash spreads them over the reduce tasks (a seed
	// of the job's) cannot leave fewer than batches' worth won before.
	distinct := map[string]bool{}
	for _, in := range inputs { // Map is called once per file
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range app.Map(in, string(b)) {
			distinct[kv.Key] = true
		}
	}
	stopAt := int32(len(distinct) * 3 / 5)
	gate, started := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	var once sync.Once
	app.Reduce = func(k string, vs []string) string {
		if calls.Add(1) >= stopAt {
			once.Do(func() { close(started) })
			<-gate
		}
		return reduce(k, vs)
	}
	cfg := Config(t.TempDir())
	cfg.NReduce = 120
	cl, stop := startJournaled(t, &cfg, inputs, app)
	for range 2 {
		cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir()))
	}
	<-started
	before := cl.C.Summary()
	if err := stop(); err == nil {
		t.Fatal("the first coordinator returned no error")
	}
	cl.restart(cfg, inputs)
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	after, won := cl.SummaryFile(), 0
	for _, ts := range before.Tasks {
		if ts.Winner == "" || !strings.HasPrefix(ts.Task, "reduce-") {
			continue
		}
		won++
		if got := Task(t, after, ts.Task); !got.Recovered || got.Winner != ts.Winner {
			t.Errorf("%s won by %s before the restart; after it: %+v", ts.Task, ts.Winner, got)
		}
	}
	if won < 10 {
		t.Errorf("%d reduces won before the restart, want batches' worth", won)
	}
}
