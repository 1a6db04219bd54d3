// A journaled job's worker, its coordinator gone, joins no other job at
// that address and offers its outputs back when its own returns.

package coordinator_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
)

// A worker of a journaled job whose coordinator stopped does not join
// another job that a coordinator of the same secret runs at that address
// meanwhile: it says so once, joins nothing there, keeps its map outputs,
// and offers them back when its own job's coordinator returns, which
// runs no Map again.
func TestJournaledWorkerJoinsNoOtherJob(t *testing.T) {
	inputs := Inputs(t, 3)
	app := WordCount()
	calls := &callCounter{calls: make(map[string]int)}
	gate, atGate := make(chan struct{}), make(chan struct{}, 1)
	mapFn, reduceFn := app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue {
		calls.add(name)
		return mapFn(name, contents)
	}
	app.Reduce = func(key string, values []string) string {
		if key == "gamma" {
			select {
			case atGate <- struct{}{}:
			default:
			}
			<-gate // the job cannot end before its coordinator stopped
		}
		return reduceFn(key, values)
	}
	cfg := Config(t.TempDir())
	cfg.Secret = []byte("one secret for both jobs")
	cl, stop := startJournaled(t, &cfg, inputs, app)
	c1 := cl.C
	log := &logBook{}
	wc := WorkerConfig(c1.Addr(), cfg, app, t.TempDir())
	wc.Logger = slog.New(slog.NewTextHandler(log, nil))
	cl.AddWorker(wc)
	<-atGate // every map report answered: the worker is in a reduce
	if n := mapsWon(c1.Summary()); n != len(inputs) {
		t.Fatalf("%d maps committed, want %d", n, len(inputs))
	}
	stop()
	close(gate) // the worker, free again, tries to register

	// Another job, not journaled, at the same address with the same secret.
	other := Config(t.TempDir())
	other.Addr, other.Secret = c1.Addr(), cfg.Secret
	c2, err := coordinator.New(other, Inputs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx2, stop2 := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() { second <- c2.Run(ctx2) }()
	log.waitLines(t, "serves another job", 1)
	if sum := c2.Summary(); len(sum.Workers) != 0 {
		t.Fatalf("the other job has workers %+v", sum.Workers)
	}
	runs, _ := filepath.Glob(filepath.Join(wc.Dir, "mr-*"))
	if len(runs) != len(inputs) {
		t.Fatalf("the worker holds %v, want its %d map outputs", runs, len(inputs))
	}
	stop2()
	<-second

	cl.restart(cfg, inputs)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the worker's log:\n%s", log)
		}
	})
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	calls.ranOnce(t, inputs)
	cl.CheckOutput(inputs)
	if n := log.count("serves another job"); n != 1 {
		t.Errorf("the worker said %d times that another job runs there", n)
	}
}

// mapsWon counts the map tasks with a winner.
func mapsWon(sum protocol.Summary) int {
	n := 0
	for _, ts := range sum.Tasks {
		if strings.HasPrefix(ts.Task, "map-") && ts.Winner != "" {
			n++
		}
	}
	return n
}
