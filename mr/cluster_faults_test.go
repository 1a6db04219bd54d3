package mr

// In-process clusters with faults injected: a killed output holder, a
// corrupt run file, a dead coordinator, bad input.

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// "If a worker fails, ... completed map tasks are re-executed on a failure
// because their output is stored on the local disk(s) of the failed
// machine" (OSDI'04, 3.3): kill a worker holding map output while the
// reducers are running.
func TestClusterKillOutputHolderDuringReduce(t *testing.T) {
	inputs := testInputs(t, 6)
	app := wordCount()
	gate, started := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reduce := app.Reduce
	app.Reduce = func(k string, vs []string) string {
		once.Do(func() { close(started); <-gate })
		return reduce(k, vs)
	}
	cl := startCluster(t, testConfig(t.TempDir()), inputs, app, 3)
	<-started
	victim := -1
	cl.c.mu.Lock()
	for i, w := range cl.workers {
		if sw := cl.c.sched.workers[w.ID()]; sw != nil && len(sw.owned) > 0 {
			victim = i
			break
		}
	}
	cl.c.mu.Unlock()
	if victim < 0 {
		t.Fatal("no worker holds map output in the reduce phase")
	}
	id := cl.workers[victim].ID()
	cl.kill(victim)
	cl.waitFor("the victim declared dead", func(s *scheduler) bool { return s.workers[id].dead })
	close(gate)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
	reran := 0
	for _, tk := range cl.c.sched.maps {
		if len(tk.history) > 1 {
			reran++
		}
	}
	if reran == 0 {
		t.Fatal("no map task was re-executed after its owner died")
	}
}

// A reducer whose owner serves a corrupt file reports it; the coordinator
// re-runs that map task and the reducer fetches the new output.
func TestClusterCorruptRunFileIsRefetched(t *testing.T) {
	inputs := testInputs(t, 3)
	app := wordCount()
	// The last map waits until map 0's output is corrupted, so the reducer
	// cannot have fetched it yet.
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []KeyValue {
		if name == inputs[2] {
			<-gate
		}
		return mapFn(name, contents)
	}
	cfg := testConfig(t.TempDir())
	cfg.NReduce = 1
	cl := startCluster(t, cfg, inputs, app, 1)
	cl.waitFor("map 0 done", func(s *scheduler) bool { return s.maps[0].state == taskDone })
	path := runPath(cl.workers[0].dir, 0, 1)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
	if n := len(cl.c.sched.maps[0].history); n != 2 {
		t.Fatalf("map 0 ran %d attempts, want 2 (the corrupt output re-run once)", n)
	}
}

func TestCoordinatorRejectsBadInputBeforeListening(t *testing.T) {
	_, err := NewCoordinator(testConfig(t.TempDir()), []string{"/nonexistent/input.txt"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/input.txt") {
		t.Fatalf("err = %v", err)
	}
}

func TestWorkerExitsWhenCoordinatorDies(t *testing.T) {
	inputs := testInputs(t, 1)
	app := wordCount()
	block := make(chan struct{})
	defer close(block)
	app.Map = func(string, string) []KeyValue { <-block; return nil }
	cfg := testConfig(t.TempDir())
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	go c.Run(ctx)
	w, err := NewWorker(WorkerConfig{Coordinator: c.Addr(), Listen: "127.0.0.1:0",
		HeartbeatInterval: 20 * time.Millisecond, LostAfter: 300 * time.Millisecond, Logger: cfg.Logger}, app)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res := make(chan error, 1)
	go func() { res <- w.Run(context.Background()) }()
	(&cluster{t: t, c: c}).waitFor("the map assigned", func(s *scheduler) bool { return s.maps[0].state == taskRunning })
	stop()
	select {
	case err := <-res:
		if err == nil || !strings.Contains(err.Error(), "stopped answering") || !strings.Contains(err.Error(), c.Addr()) {
			t.Fatalf("worker returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("worker still running 10 s after the coordinator died")
	}
}

// One bad disk never sinks the job: a worker whose directory cannot hold
// run files fails its attempts as its own failures, is excluded after
// three and exits saying why; the other worker finishes the job.
func TestClusterWorkerWithBadDiskIsExcluded(t *testing.T) {
	inputs := testInputs(t, 4)
	app := wordCount()
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []KeyValue {
		if name == inputs[0] {
			<-gate // the good worker waits here while the bad one fails
		}
		return mapFn(name, contents)
	}
	cfg := testConfig(t.TempDir())
	cl := startCluster(t, cfg, inputs, app, 1)
	cl.waitFor("map 0 running", func(s *scheduler) bool { return s.maps[0].state == taskRunning })

	bad, err := NewWorker(testWorkerConfig(cl.c.Addr(), cfg), app)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := os.RemoveAll(bad.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad.dir, nil, 0o644); err != nil { // a "directory" that is a file
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
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
	sum := cl.summary()
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
