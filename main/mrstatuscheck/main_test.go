package main

import (
	"encoding/json"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/internal/statuspage"
)

func page(t *testing.T, st *protocol.Status) string {
	var b strings.Builder
	if err := statuspage.Render(&b, st); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func sample() *protocol.Status {
	return &protocol.Status{Phase: "map", Maps: 2, MapsDone: 1, Reduces: 1, Workers: 1, LiveWorkers: 1, Version: 1,
		MapTasks:    protocol.TaskCounts{Total: 2, Done: 1, Running: 1, Attempts: 3, Outcomes: map[string]int{"won": 1, "failed": 1, "running": 1}},
		ReduceTasks: protocol.TaskCounts{Total: 1, Idle: 1, Outcomes: map[string]int{}},
		Counters:    protocol.Counters{MapInputRecords: 1234, User: map[string]int64{"lines": 1234}},
		Tasks: protocol.TaskList{Limit: 200, Rows: []protocol.TaskRow{
			{Task: "map-0", State: "done", Failed: true, Attempts: []protocol.AttemptRow{{ID: "map-0.a1", Outcome: "failed"}, {ID: "map-0.a2", Outcome: "won"}}},
			{Task: "map-1", State: "running", Attempts: []protocol.AttemptRow{{ID: "map-1.a1", Outcome: "running"}}},
			{Task: "reduce-0", State: "idle", Attempts: []protocol.AttemptRow{}}}},
		WorkerList: protocol.WorkerList{Limit: 200, Rows: []protocol.WorkerRow{{ID: "w1", State: "working"}}},
	}
}

func TestDOMChecksReadThePage(t *testing.T) {
	dom := page(t, sample())
	good := []string{"phase=map", "over=false", "#maps-done=1", "#maps-total=2", "tasks=3", "tasks.running=1",
		"tasks.failed=1", "attempts.failed=1", "attempts.running>=1", "workers=1", "workers.working=1", "workers.dead=0",
		"counter.map_input_records=1234", "user.lines=1234"}
	if errs := checkDOM(dom, good); len(errs) > 0 {
		t.Fatalf("checks of a right page failed: %v", errs)
	}
	bad := []string{"tasks=4", "#maps-done=2", "workers.dead>=1", "user.lines=1", "#nothing=1"}
	if errs := checkDOM(dom, bad); len(errs) != len(bad) {
		t.Fatalf("%d of %d wrong checks failed: %v", len(errs), len(bad), errs)
	}
}

func TestStatusChecks(t *testing.T) {
	b, _ := json.Marshal(sample())
	if errs := checkStatus(b, []string{"Phase=map", "map_tasks.running=1", "map_tasks.outcomes.failed>=1"}); len(errs) > 0 {
		t.Fatalf("checks of a right status failed: %v", errs)
	}
	st := sample()
	st.MapTasks.Done = 2 // disagrees with MapsDone and does not add up
	b, _ = json.Marshal(st)
	if errs := checkStatus(b, nil); len(errs) != 2 {
		t.Fatalf("inconsistencies found: %v", errs)
	}
	if errs := checkStatus([]byte(`{"Phase":"map","extra":1}`), nil); len(errs) != 1 || !strings.Contains(errs[0], "extra") {
		t.Fatalf("unknown field: %v", errs)
	}
}
