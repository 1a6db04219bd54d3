package scheduler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// The status view is built from a scheduler driven by a fake clock:
// every duration below is exact.

func TestStatusShowsTasksAttemptsAndWorkers(t *testing.T) {
	h := newHarness(t, 3, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	m0, m1, m2 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap), h.get(w3, protocol.ActMap)
	h.run(time.Second, w1, w2, w3)
	h.s.Failed(ref(w1, m0), protocol.FailApp, "app: boom", h.now) // map-0.a1 failed after 1 s
	if again := h.get(w1, protocol.ActMap); again.task != m0.task {
		t.Fatalf("w1 got %s", again.ID())
	}
	h.report(w3, m2)                  // map-2.a1 won after 1 s
	h.run(10*time.Second, w1, w2, w3) // map-1 is now a straggler
	backup := h.get(w3, protocol.ActMap)
	if backup.task != m1.task {
		t.Fatalf("backup is %s", backup.ID())
	}
	h.run(time.Second, w1, w2, w3)
	h.report(w3, backup) // map-1.a2 won after 1 s; map-1.a1 lost after 12 s
	h.run(4500*time.Millisecond, w3)
	// w1 and w2 went silent at 12 s and died at 16.5 s, with map-0.a2.

	st := h.s.Status(t0, time.Time{}, h.now)
	if st.Phase != "map" || st.MapsDone != 2 || st.Maps != 3 || st.Workers != 3 || st.LiveWorkers != 1 || st.Over {
		t.Fatalf("first fields = %+v", st)
	}
	want := protocol.TaskCounts{Total: 3, Idle: 1, Done: 2, Slow: 2, Attempts: 5,
		Outcomes: map[string]int{"failed": 1, "died": 1, "won": 2, "lost": 1}}
	if fmt.Sprint(st.MapTasks) != fmt.Sprint(want) {
		t.Fatalf("map tasks %+v\nwant %+v", st.MapTasks, want)
	}
	if st.ReduceTasks.Idle != 2 || st.ElapsedMS != 16500 || st.Counters.MapInputRecords != 2 {
		t.Fatalf("reduce tasks %+v, elapsed %d, counters %+v", st.ReduceTasks, st.ElapsedMS, st.Counters)
	}
	var order []string
	for _, r := range st.Tasks.Rows {
		order = append(order, r.Task)
	}
	// Failed first, then stragglers, then done, then idle.
	if got := strings.Join(order, " "); got != "map-0 map-1 map-2 reduce-0 reduce-1" || st.Tasks.Omitted != 0 {
		t.Fatalf("task order %q, %d omitted", got, st.Tasks.Omitted)
	}
	r1 := st.Tasks.Rows[1]
	if !r1.Slow || r1.Failed || r1.State != "done" || len(r1.Attempts) != 2 {
		t.Fatalf("map-1 row %+v", r1)
	}
	lost, won := r1.Attempts[0], r1.Attempts[1]
	if lost.Outcome != "lost" || lost.StartMS != 0 || lost.DurationMS != 12000 || !lost.Slow || lost.Worker != w2 {
		t.Fatalf("map-1.a1 %+v", lost)
	}
	if won.Outcome != "won" || won.StartMS != 11000 || won.DurationMS != 1000 || won.Slow || won.Worker != w3 {
		t.Fatalf("map-1.a2 %+v", won)
	}
	r0 := st.Tasks.Rows[0]
	if !r0.Failed || !r0.Slow || r0.State != "idle" || len(r0.Attempts) != 2 || r0.Attempts[1].Outcome != "died" ||
		r0.Attempts[1].StartMS != 1000 || r0.Attempts[1].DurationMS != 15500 {
		t.Fatalf("map-0 row %+v", r0)
	}
	ws := st.WorkerList.Rows
	if len(ws) != 3 || ws[0].ID != w1 || ws[1].ID != w2 || ws[2].ID != w3 {
		t.Fatalf("workers %+v", ws)
	}
	if !ws[0].Dead || ws[0].State != "dead" || ws[0].Failed != 2 || ws[1].State != "dead" {
		t.Fatalf("dead workers %+v", ws[:2])
	}
	if ws[2].State != "idle" || ws[2].Won != 2 || ws[2].Attempts != 2 || ws[2].WrittenBytes != (10+2)+(10+1) || ws[2].SilentMS != 0 {
		t.Fatalf("w3 %+v", ws[2])
	}
	if w := ws[1]; w.SilentMS != 4500 {
		t.Fatalf("w2 silent %d ms, want 4500", w.SilentMS)
	}
}

func TestStatusAfterTheEndStopsTheClock(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	h.run(time.Second, w1)
	h.report(w1, h.get(w1, protocol.ActMap))
	h.report(w1, h.get(w1, protocol.ActReduce))
	h.s.Finish()
	end := h.now
	h.run(time.Minute, w1)
	st := h.s.Status(t0, end, h.now)
	if !st.Over || st.Phase != "done" || st.ElapsedMS != 1000 || st.ReducesDone != 1 {
		t.Fatalf("status %+v", st)
	}
}

// A job of 100,000 tasks is described in a bounded answer: counts for
// all, rows for the most telling few.
func TestStatusOf100000TasksIsBounded(t *testing.T) {
	h := newHarness(t, 99990, 10)
	var ids []string
	for i := range 50 {
		ids = append(ids, h.join(fmt.Sprint("h", i, ":1")))
	}
	var failedTask *task
	for round := range 40 {
		for i, id := range ids {
			a := h.get(id, protocol.ActMap)
			switch {
			case round == 0 && i == 7:
				h.s.Failed(ref(id, a), protocol.FailApp, "boom", h.now)
				failedTask = a.task
			case round < 39:
				h.report(id, a)
			}
		}
		h.tick(100 * time.Millisecond)
		h.beat(ids...)
	}
	st := h.s.Status(t0, time.Time{}, h.now)
	if st.MapTasks.Total != 99990 || st.MapTasks.Done != 38*50+49 || st.MapTasks.Running != 50 || st.ReduceTasks.Idle != 10 {
		t.Fatalf("map counts %+v, reduce %+v", st.MapTasks, st.ReduceTasks)
	}
	if len(st.Tasks.Rows) != maxTaskRows || st.Tasks.Omitted != 100000-maxTaskRows {
		t.Fatalf("%d rows, %d omitted", len(st.Tasks.Rows), st.Tasks.Omitted)
	}
	first := st.Tasks.Rows[0]
	if first.Task != protocol.TaskName(protocol.MapTask, failedTask.index) || !first.Failed {
		t.Fatalf("first row %+v, want the failed task", first)
	}
	for _, r := range st.Tasks.Rows[1:51] {
		if r.State != "running" {
			t.Fatalf("row %+v: want the 50 running tasks next", r)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 100<<10 {
		t.Fatalf("status of %d bytes", len(b))
	}
}
