// Journaled jobs in a cluster: a job survives its coordinator's restart
// without running Map again, and a journal of another job is refused.

package coordinator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
)

// callCounter counts an app's Map calls per input.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

func (c *callCounter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

// ranOnce checks that Map ran once on each input.
func (c *callCounter) ranOnce(t *testing.T, inputs []string) {
	t.Helper()
	for _, in := range inputs {
		if n := c.get(in); n != 1 {
			t.Errorf("Map(%s) ran %d times", in, n)
		}
	}
}

// A journaled job whose coordinator stops after some reduces are
// committed resumes when the same coordinator is started again: the
// workers wait for it, offer back the map outputs they hold, no Map runs
// again and no committed reduce runs again; the output is mrsequential's.
func TestJournaledJobSurvivesItsCoordinator(t *testing.T) {
	inputs := Inputs(t, 4)
	app := WordCount()
	calls := &callCounter{calls: make(map[string]int)}
	gate := make(chan struct{})
	mapFn, reduceFn := app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue {
		calls.add(name)
		return mapFn(name, contents)
	}
	app.Reduce = func(key string, values []string) string {
		if key == "gamma" {
			<-gate // its reduce task waits until the coordinator restarted
		}
		return reduceFn(key, values)
	}
	cfg := Config(t.TempDir())
	cl, stop := startJournaled(t, &cfg, inputs, app)
	c1 := cl.C
	for range 2 {
		cl.AddWorker(WorkerConfig(c1.Addr(), cfg, app, t.TempDir()))
	}
	cl.WaitFor("a reduce committed", func(sum protocol.Summary) bool {
		for _, ts := range sum.Tasks {
			if strings.HasPrefix(ts.Task, "reduce-") && ts.Winner != "" {
				return true
			}
		}
		return false
	})
	before := c1.Summary()
	if err := stop(); err == nil || !strings.Contains(err.Error(), "coordinator stopped") {
		t.Fatalf("the first coordinator returned %v", err)
	}
	cl.restart(cfg, inputs)
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	calls.ranOnce(t, inputs)
	cl.CheckOutput(inputs)
	after := cl.SummaryFile()
	if len(after.Restarts) != 1 || after.Journal != filepath.Join(cfg.OutDir, "mr-job.journal") {
		t.Fatalf("restarts %+v, journal %q", after.Restarts, after.Journal)
	}
	for _, ts := range before.Tasks {
		if ts.Winner == "" {
			continue
		}
		got := Task(t, after, ts.Task)
		if !got.Recovered || got.Winner != ts.Winner {
			t.Errorf("%s won by %s before the restart; after it: %+v", ts.Task, ts.Winner, got)
		}
	}
	// Run again, the finished job says so.
	_, err := coordinator.New(cfg, inputs)
	var done *coordinator.FinishedError
	if !errors.As(err, &done) || !strings.Contains(done.Error(), filepath.Join(cfg.OutDir, "mr-wc-all")+";") {
		t.Fatalf("a finished job run again: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutDir, "mr-job.runs")); !os.IsNotExist(err) {
		t.Fatalf("the committed runs outlived the job: %v", err)
	}
}

// A journal of another job is refused in one line naming the difference.
func TestJournalOfAnotherJobRefused(t *testing.T) {
	inputs := Inputs(t, 2)
	cfg := Config(t.TempDir())
	cfg.Journal = true
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stop()
	c.Run(ctx)
	cfg.NReduce = 7
	if _, err := coordinator.New(cfg, inputs); err == nil || !strings.Contains(err.Error(), "-nreduce was 4, is 7") {
		t.Fatalf("another R: %v", err)
	}
	cfg.NReduce = 4
	if err := os.WriteFile(inputs[1], []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := coordinator.New(cfg, inputs); err == nil || !strings.Contains(err.Error(), "input "+inputs[1]+" was ") {
		t.Fatalf("a changed input: %v", err)
	}
}

// startJournaled starts the first coordinator of a journaled job of app
// on inputs, with no worker yet, and sets cfg's Journal and a heartbeat
// timeout of 5 s: owners have twice that to offer their outputs back
// after a restart (3 s was not always enough on a loaded machine). stop
// stops it as a crash would leave the journal, and returns what its Run
// returned.
func startJournaled(t *testing.T, cfg *coordinator.Config, inputs []string, app *mr.App) (cl *Cluster, stop func() error) {
	t.Helper()
	cfg.Journal, cfg.HeartbeatTimeout = true, 5*time.Second
	c, err := coordinator.New(*cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	cl = &Cluster{T: t, C: c, App: app, Out: cfg.OutDir, result: make(chan error, 1)}
	t.Cleanup(cl.stopWorkers)
	return cl, func() error { cancel(); return <-ran }
}

// restart runs the same command again at the first coordinator's
// address: the cluster's coordinator from now on, whose end Wait waits
// for.
func (cl *Cluster) restart(cfg coordinator.Config, inputs []string) {
	cl.T.Helper()
	cfg.Addr = cl.C.Addr()
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		cl.T.Fatal(err)
	}
	cl.C = c
	go func() { cl.result <- c.Run(context.Background()) }()
}
