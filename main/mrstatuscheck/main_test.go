// Tests of mrstatuscheck's checks of the page's DOM and of /status,
// of the inconsistencies they find, and of the rows workers and won print.

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
	return &protocol.Status{Phase: "map", Maps: 2, MapsDone: 1, Reduces: 1, Workers: 2, LiveWorkers: 2, Version: protocol.StatusVersion,
		MapTasks:    protocol.TaskCounts{Total: 2, Done: 1, Running: 1, Attempts: 3, Outcomes: map[string]int{"won": 1, "failed": 1, "running": 1}},
		ReduceTasks: protocol.TaskCounts{Total: 1, Idle: 1, Outcomes: map[string]int{}},
		Counters:    protocol.Counters{MapInputRecords: 1234, User: map[string]int64{"lines": 1234}},
		Tasks: protocol.TaskList{Limit: 200, Rows: []protocol.TaskRow{
			{Task: "map-0", State: "done", Failed: true, Recovered: true, Input: "a.txt", InputBytes: 100,
				Attempts: []protocol.AttemptRow{{ID: "map-0.a1", Outcome: "failed"}, {ID: "map-0.a2", Outcome: "won", Read: 100}}},
			{Task: "map-1", State: "running", Input: "b.txt [0, 200)", InputBytes: 200,
				Attempts: []protocol.AttemptRow{{ID: "map-1.a1", Outcome: "running", Progress: 0.5, ReadSoFar: 100}}},
			{Task: "reduce-0", State: "idle", Attempts: []protocol.AttemptRow{}}}},
		WorkerList: protocol.WorkerList{Limit: 200, Rows: []protocol.WorkerRow{
			{ID: "w1", State: "exited"}, {ID: "w2", State: "working", Current: "map-1.a1", Pool: true, Progress: 0.5, ReadSoFar: 100}}},
		WorkerCounts: protocol.WorkerCounts{Working: 1, Exited: 1},
		Work:         protocol.Work{Unit: "bytes", Total: 600, Done: 200},
	}
}

func TestDOMChecksReadThePage(t *testing.T) {
	dom := page(t, sample())
	good := []string{"phase=map", "over=false", "#maps-done=1", "#maps-total=2", "tasks=3", "tasks.running=1",
		"tasks.failed=1", "attempts.failed=1", "attempts.running>=1", "workers=2", "workers.working=1", "workers.dead=0",
		"counter.map_input_records=1234", "user.lines=1234", "tasks.recovered=1", "tasks.input=2", "attempts.progress=1",
		"workers.pool=1", "workers.exited=1", "#workers-live=1", "#workers-total=2", "#worker-states=1 working · 0 idle · 1 exited"}
	if errs := checkDOM(dom, good); len(errs) > 0 {
		t.Fatalf("checks of a right page failed: %v", errs)
	}
	bad := []string{"tasks=4", "#maps-done=2", "workers.dead>=1", "user.lines=1", "#nothing=1", "attempts.progress=2", "#workers-live=2"}
	if errs := checkDOM(dom, bad); len(errs) != len(bad) {
		t.Fatalf("%d of %d wrong checks failed: %v", len(errs), len(bad), errs)
	}
}

func TestStatusChecks(t *testing.T) {
	b, _ := json.Marshal(sample())
	if errs := checkStatus(b, []string{"Phase=map", "map_tasks.running=1", "map_tasks.outcomes.failed>=1", "count.progress=1",
		"count.input=2", "count.recovered=1", "worker_counts.exited=1", "work.done>=199.5"}); len(errs) > 0 {
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

// Each inconsistency of the new fields is found.
func TestStatusChecksFindInconsistencies(t *testing.T) {
	eta := int64(-1)
	for name, spoil := range map[string]func(*protocol.Status){
		"exited counted live":      func(st *protocol.Status) { st.WorkerCounts.Exited, st.WorkerCounts.Idle = 0, 1 },
		"counts do not add up":     func(st *protocol.Status) { st.WorkerCounts.Dead = 1 },
		"a row in no state":        func(st *protocol.Status) { st.WorkerList.Rows[0].State = "gone" },
		"a map without input":      func(st *protocol.Status) { st.Tasks.Rows[1].Input = "" },
		"read beyond the input":    func(st *protocol.Status) { st.Tasks.Rows[1].Attempts[0].ReadSoFar = 201 },
		"progress of an ended":     func(st *protocol.Status) { st.Tasks.Rows[0].Attempts[1].Progress = 0.5 },
		"progress over 1":          func(st *protocol.Status) { st.WorkerList.Rows[1].Progress = 1.5 },
		"done beyond the total":    func(st *protocol.Status) { st.Work.Done = 601 },
		"negative eta":             func(st *protocol.Status) { st.Work.ETAMS = &eta },
		"restarts without journal": func(st *protocol.Status) { st.Restarts = []protocol.Restart{{At: "1s"}} },
		"pending not counted":      func(st *protocol.Status) { st.MapTasks.Pending = 1 },
		"a mean not the job's": func(st *protocol.Status) {
			st.Over, st.Result, st.ElapsedMS, st.Throughput.MeanBytesPerS = true, &protocol.Result{}, 1000, 50
			st.Tasks.Rows[1].Attempts[0] = protocol.AttemptRow{ID: "map-1.a1", Outcome: "won", Read: 200}
		},
	} {
		st := sample()
		spoil(st)
		b, _ := json.Marshal(st)
		if errs := checkStatus(b, nil); len(errs) == 0 {
			t.Errorf("%s: not found", name)
		}
	}
	st := sample()
	st.Over, st.Result, st.ElapsedMS, st.Throughput.MeanBytesPerS = true, &protocol.Result{}, 2000, 100 // 200 bytes won in 2 s
	st.Tasks.Rows[1].Attempts[0] = protocol.AttemptRow{ID: "map-1.a1", Outcome: "won", Read: 100}
	st.WorkerCounts, st.WorkerList.Rows[1] = protocol.WorkerCounts{Exited: 2}, protocol.WorkerRow{ID: "w2", State: "exited"}
	st.LiveWorkers = 2
	b, _ := json.Marshal(st)
	if errs := checkStatus(b, nil); len(errs) > 0 {
		t.Fatalf("a finished job's status: %v", errs)
	}
}

func TestWorkersAndWonPrintRows(t *testing.T) {
	st := sample()
	st.WorkerList.Rows[0].Addr, st.WorkerList.Rows[1].Addr = "127.0.0.1:4001", "127.0.0.1:4002"
	if got := strings.Join(workerLines(st), "\n"); got != "w1 127.0.0.1:4001 exited -\nw2 127.0.0.1:4002 working map-1.a1" {
		t.Errorf("workers: %q", got)
	}
	st.Tasks.Rows[0].Attempts[1].Worker = "w2"
	if got := strings.Join(wonLines(st), "\n"); got != "map-0 w2 127.0.0.1:4002" {
		t.Errorf("won: %q", got)
	}
	if errs := printRows([]byte("{"), wonLines); len(errs) != 1 {
		t.Errorf("a bad status: %v", errs)
	}
}
