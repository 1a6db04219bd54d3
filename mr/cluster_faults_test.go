package mr

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
	b, err := os.ReadFile(filepath.Join(cl.out, "mr-wc-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
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
