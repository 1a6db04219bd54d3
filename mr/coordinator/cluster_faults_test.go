// In-process clusters with faults injected: a killed output holder, a
// corrupt run file, a dead coordinator, a bad disk, an input gone.

package coordinator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/worker"
)

// "If a worker fails, ... completed map tasks are re-executed on a failure
// because their output is stored on the local disk(s) of the failed
// machine" (OSDI'04, 3.3): kill a worker holding map output while the
// reducers are running.
func TestClusterKillOutputHolderDuringReduce(t *testing.T) {
	inputs := Inputs(t, 6)
	app := WordCount()
	gate, started := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reduce := app.Reduce
	app.Reduce = func(k string, vs []string) string {
		once.Do(func() { close(started); <-gate })
		return reduce(k, vs)
	}
	cfg := Config(t.TempDir())
	cl := Start(t, cfg, inputs, app, 0)
	var ids []string
	for range 3 {
		ids = append(ids, cl.Join(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir())).ID)
	}
	<-started
	victim := -1
	owners := mapOwners(cl.C.Summary())
	for i, id := range ids {
		if owners[id] > 0 {
			victim = i
			break
		}
	}
	if victim < 0 {
		t.Fatal("no worker holds map output in the reduce phase")
	}
	id := ids[victim]
	cl.KillAndFinish(victim, id, gate, inputs)
	reran := 0
	for _, ts := range cl.C.Summary().Tasks {
		if strings.HasPrefix(ts.Task, "map-") && len(ts.Attempts) > 1 {
			reran++
		}
	}
	if reran == 0 {
		t.Fatal("no map task was re-executed after its owner died")
	}
}

// mapOwners counts, per worker, the map tasks whose committed output it
// holds.
func mapOwners(sum protocol.Summary) map[string]int {
	owners := make(map[string]int)
	for _, ts := range sum.Tasks {
		if !strings.HasPrefix(ts.Task, "map-") || ts.Winner == "" {
			continue
		}
		for _, a := range ts.Attempts {
			if a.ID == ts.Winner {
				owners[a.Worker]++
			}
		}
	}
	return owners
}

// A reducer whose owner serves a corrupt file reports it; the coordinator
// re-runs that map task and the reducer fetches the new output.
func TestClusterCorruptRunFileIsRefetched(t *testing.T) {
	inputs := Inputs(t, 3)
	app := WordCount()
	// The last map waits until map 0's output is corrupted, so the reducer
	// cannot have fetched it yet.
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		if name == inputs[2] {
			<-gate
		}
		return mapFn(name, contents)
	}
	cfg := Config(t.TempDir())
	cfg.NReduce = 1
	cfg.AbsorbSize = 1 // map 0 commits alone, before map 2 runs
	cl := Start(t, cfg, inputs, app, 1)
	cl.WaitFor("map 0 done", func(sum protocol.Summary) bool { return Task(t, sum, "map-0").Winner != "" })
	path := filepath.Join(cl.Dirs[0], "mr-0.a1") // the worker's layout: mr-X.aN
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	if n := len(Task(t, cl.C.Summary(), "map-0").Attempts); n != 2 {
		t.Fatalf("map 0 ran %d attempts, want 2 (the corrupt output re-run once)", n)
	}
}

func TestWorkerExitsWhenCoordinatorDies(t *testing.T) {
	inputs := Inputs(t, 1)
	app := WordCount()
	block := make(chan struct{})
	app.Map = func(string, string) []mr.KeyValue { <-block; return nil }
	cfg := Config(t.TempDir())
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { c.Run(ctx); close(ran) }()
	defer func() { <-ran }() // before its -out is removed
	wc := WorkerConfig(c.Addr(), cfg, app, t.TempDir())
	wc.LostAfter = 300 * time.Millisecond
	w, err := worker.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res := make(chan error, 1)
	go func() { res <- w.Run(context.Background()) }()
	cl := &Cluster{T: t, C: c, App: app}
	cl.WaitFor("the map assigned", func(sum protocol.Summary) bool { return Running(sum, "map-0") })
	stop()
	select {
	case err := <-res:
		if err == nil || !strings.Contains(err.Error(), "stopped answering") || !strings.Contains(err.Error(), c.Addr()) {
			t.Fatalf("worker returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("worker still running 10 s after the coordinator died")
	}
	close(block) // the blocked Map returns; Close waits for its attempt to end before the worker's directory goes
}

// One bad disk never sinks the job: a worker whose directory cannot hold
// run files fails its attempts as its own failures, is excluded after
// three and exits saying why; the other worker finishes the job.
func TestClusterWorkerWithBadDiskIsExcluded(t *testing.T) {
	inputs := Inputs(t, 4)
	app := WordCount()
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		if name == inputs[0] {
			<-gate // the good worker waits here while the bad one fails
		}
		return mapFn(name, contents)
	}
	cfg := Config(t.TempDir())
	cl := Start(t, cfg, inputs, app, 1)
	cl.WaitFor("map 0 running", func(sum protocol.Summary) bool { return Running(sum, "map-0") })

	dir := filepath.Join(t.TempDir(), "bad")
	bad, err := worker.New(WorkerConfig(cl.C.Addr(), cfg, app, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil { // a "directory" that is a file
		t.Fatal(err)
	}
	badResult := make(chan error, 1)
	go func() { badResult <- bad.Run(context.Background()) }()
	select {
	case err := <-badResult:
		if err == nil || !strings.Contains(err.Error(), "is excluded from the job: 3 failures in a row, last: ") {
			t.Fatalf("the bad worker returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the bad worker was not excluded")
	}
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	if len(sum.Workers) != 2 || sum.Workers[1].Excluded == "" || sum.Workers[1].Outcomes["failed"] != 3 {
		t.Fatalf("summary workers: %+v", sum.Workers)
	}
	for _, tk := range sum.Tasks {
		for _, a := range tk.Attempts {
			if a.Outcome == "failed" && a.Worker != sum.Workers[1].ID {
				t.Fatalf("%s failed on the good worker", a.ID)
			}
		}
	}
}

// An input that disappears mid-job ends the job in one line, rather than
// failing worker after worker (whose fault it is not) until all are out.
func TestInputGoneFailsTheJobNotTheWorkers(t *testing.T) {
	inputs := Inputs(t, 2)
	app := WordCount()
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		os.Remove(inputs[1]) // while the job runs: map-1's split is read later
		return mapFn(name, contents)
	}
	jobFailsBlamingNone(t, Start(t, Config(t.TempDir()), inputs, app, 1), "coordinator cannot read its input: open "+inputs[1])
}

// jobFailsBlamingNone waits for cl's job, which must fail with an error
// containing want, with no worker excluded and no attempt failed: the
// attempt whose split was cut short is given up, not charged.
func jobFailsBlamingNone(t *testing.T, cl *Cluster, want string) {
	t.Helper()
	if err := cl.Wait(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("job ended with %v, want an error saying %q", err, want)
	}
	cl.WaitWorkers() // every report is in
	sum := cl.C.Summary()
	for _, w := range sum.Workers {
		if w.Excluded != "" || w.Outcomes["failed"] != 0 {
			t.Fatalf("%s charged: excluded %q, outcomes %v", w.ID, w.Excluded, w.Outcomes)
		}
	}
	for _, ts := range sum.Tasks {
		for _, a := range ts.Attempts {
			if a.Outcome == "failed" {
				t.Fatalf("%s failed: %+v", a.ID, a)
			}
		}
	}
}

// An input truncated mid-job (here to half its size) ends the job in one
// line naming it and what changed, and no worker is blamed for it.
func TestInputChangedFailsTheJobNotTheWorkers(t *testing.T) {
	inputs := Inputs(t, 2)
	st, err := os.Stat(inputs[1])
	if err != nil {
		t.Fatal(err)
	}
	app := WordCount()
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		os.Truncate(inputs[1], st.Size()/2) // while the job runs: map-1's split is read later
		return mapFn(name, contents)
	}
	jobFailsBlamingNone(t, Start(t, Config(t.TempDir()), inputs, app, 1), "input "+inputs[1]+" changed while the job ran")
}

// A worker stopped from outside (its context ends, as on SIGTERM) tells
// the coordinator it leaves: its running attempt is redone at once. The
// heartbeat timeout is an hour here, so nothing else could redo it.
func TestStoppedWorkerLeaves(t *testing.T) {
	inputs := Inputs(t, 2)
	app := WordCount()
	gate, started := make(chan struct{}), make(chan string, 2)
	mapFn := app.Map
	var once sync.Once
	app.Map = func(name, contents string) []mr.KeyValue {
		held := false
		once.Do(func() { held = true })
		if held {
			started <- name
			<-gate // the first Map waits until its worker was stopped
		}
		return mapFn(name, contents)
	}
	cfg := Config(t.TempDir())
	cfg.HeartbeatTimeout, cfg.TaskTimeout = time.Hour, time.Hour
	cl := Start(t, cfg, inputs, app, 0)
	wc := WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir())
	wc.Faults.SilentStop = false // it leaves
	leaver := cl.Join(wc).ID
	<-started
	cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir()))
	cl.cancels[0]() // stopped, not crashed
	cl.WaitFor("the stopped worker gone", func(sum protocol.Summary) bool {
		w, _ := WorkerOf(sum, leaver)
		return w.Dead
	})
	close(gate) // its Map, in this process, returns; its attempt is over
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	w, _ := WorkerOf(cl.C.Summary(), leaver)
	if w.Outcomes["died"] != 1 || len(w.Won) != 0 {
		t.Fatalf("the worker that left: %+v", w)
	}
}
