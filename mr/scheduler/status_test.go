// Tests of the status view: tasks, attempts and workers, bounded for large jobs.

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
	h.s.End("")
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

// Workers are counted by state, each in one: a finished job shows the
// workers it told to exit as exited, not live.
func TestStatusCountsWorkersByState(t *testing.T) {
	h := newHarness(t, 2, 1)
	h.s.cfg.MapSizes = []int64{1000, 3000}
	h.s.Restore(Restart{Workers: []string{"w1"}}, h.now)
	w2 := h.join("a:1")
	for range 3 {
		h.s.Failed(ref(w2, h.get(w2, protocol.ActMap)), protocol.FailWorker, "disk full", h.now)
	}
	w3, w4, _ := h.join("b:1"), h.join("c:1"), h.join("d:1")
	m := h.get(w3, protocol.ActMap)
	h.run(5*time.Second, w3, w4) // w5 stays silent, and dies
	h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w3, Attempt: ref(w3, m), Progress: 0.25}, h.now)

	st := h.s.Status(t0, time.Time{}, h.now)
	want := protocol.WorkerCounts{Working: 1, Idle: 1, Dead: 1, Excluded: 1, Earlier: 1}
	if st.WorkerCounts != want || st.Workers != 5 || st.LiveWorkers != 2 {
		t.Fatalf("workers %d, live %d, %+v; want %+v", st.Workers, st.LiveWorkers, st.WorkerCounts, want)
	}
	var order []string
	for _, r := range st.WorkerList.Rows {
		order = append(order, r.ID+":"+r.State)
	}
	if got := strings.Join(order, " "); got != "w2:excluded w5:dead w3:working w4:idle w1:earlier" {
		t.Fatalf("worker rows %s", got)
	}
	if r := st.WorkerList.Rows[0]; !strings.Contains(r.Excluded, "disk full") {
		t.Fatalf("excluded row %+v", r)
	}
	size := h.s.cfg.MapSizes[m.task.index]
	if r := st.WorkerList.Rows[2]; r.Current != m.ID() || r.Progress != 0.25 || r.ReadSoFar != size/4 {
		t.Fatalf("working row %+v, want %s at 25%% of %d bytes", r, m.ID(), size)
	}
	if r := st.WorkerList.Rows[4]; r.SilentMS != 0 || !r.Dead {
		t.Fatalf("earlier row %+v", r)
	}

	h.report(w3, m)
	h.report(w4, h.get(w4, protocol.ActMap))
	h.report(w3, h.get(w3, protocol.ActReduce))
	h.s.End("")
	h.get(w3, protocol.ActExit)
	h.get(w4, protocol.ActExit)
	st = h.s.Status(t0, h.now, h.now)
	want = protocol.WorkerCounts{Exited: 2, Dead: 1, Excluded: 1, Earlier: 1}
	if st.WorkerCounts != want || st.LiveWorkers != 2 || h.s.workerCounts() != want {
		t.Fatalf("finished job: live %d, %+v (%+v); want %+v", st.LiveWorkers, st.WorkerCounts, h.s.workerCounts(), want)
	}
}

// A task row names a map task's input and its size; a running attempt
// shows how far it got and the input read so far, an ended one neither.
func TestStatusShowsInputsAndProgress(t *testing.T) {
	h := newHarness(t, 2, 1)
	h.s.cfg.MapSizes = []int64{64 << 20, 10}
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0, m1 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap)
	for _, c := range []struct {
		frac     float64
		progress float64
		read     int64
	}{
		{0, 0, 0},            // no heartbeat said yet
		{0.5, 0.5, 32 << 20}, // halfway through 64 MiB
		{-1, 0.5, 32 << 20},  // nonsense is ignored
		{1, 1, 64 << 20},
	} {
		if c.frac != 0 {
			h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w1, Attempt: ref(w1, m0), Progress: c.frac}, h.now)
		}
		st := h.s.Status(t0, time.Time{}, h.now)
		r := rowOf(t, st, "map-0")
		if r.Input != "in-0.txt" || r.InputBytes != 64<<20 {
			t.Fatalf("map-0 row %+v", r)
		}
		if a := r.Attempts[0]; a.Progress != c.progress || a.ReadSoFar != c.read {
			t.Fatalf("after %v: attempt %+v, want progress %v, %d bytes read", c.frac, a, c.progress, c.read)
		}
	}
	h.report(w1, m0)
	h.s.Failed(ref(w2, m1), protocol.FailApp, "boom", h.now)
	st := h.s.Status(t0, time.Time{}, h.now)
	if a := rowOf(t, st, "map-0").Attempts[0]; a.Progress != 0 || a.ReadSoFar != 0 {
		t.Fatalf("won attempt %+v", a)
	}
	if r := rowOf(t, st, "reduce-0"); r.Input != "" || r.InputBytes != 0 {
		t.Fatalf("reduce row %+v", r)
	}
}

func rowOf(t *testing.T, st protocol.Status, task string) protocol.TaskRow {
	t.Helper()
	for _, r := range st.Tasks.Rows {
		if r.Task == task {
			return r
		}
	}
	t.Fatalf("no row for %s", task)
	return protocol.TaskRow{}
}

// The ETA is the work left at this run's rate: done work (maps by their
// input bytes, reduces by their share of the map output) over the time
// since the first attempt started. Four maps of 100 bytes whose output
// is half their input, two reduces of 100 bytes each: 600 bytes of work.
func TestStatusETA(t *testing.T) {
	const unknown = -1
	h := newHarness(t, 4, 2)
	h.s.cfg.MapSizes = []int64{100, 100, 100, 100}
	w1 := h.join("a:1")
	mapDone := func(a *attempt) { h.s.Done(ref(w1, a), Output{Runs: 2, Written: 50, Read: 100}, h.now) }
	var m *attempt
	for _, step := range []struct {
		what        string
		do          func()
		total, done float64
		eta         int64
	}{
		{"nothing ran yet", func() {}, 400 + 400, 0, unknown},
		{"map-0 running, half done after 1 s", func() {
			m = h.get(w1, protocol.ActMap)
			h.run(time.Second, w1)
			h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w1, Attempt: ref(w1, m), Progress: 0.5}, h.now)
		}, 800, 50, unknown}, // nothing won yet: the map output per byte is unknown
		{"map-0 won after 2 s", func() { h.run(time.Second, w1); mapDone(m) }, 600, 100, 10000},
		{"map-1 a quarter done at 3 s", func() {
			m = h.get(w1, protocol.ActMap)
			h.run(time.Second, w1)
			h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w1, Attempt: ref(w1, m), Progress: 0.25}, h.now)
		}, 600, 125, 11400},
		{"every map won at 6 s", func() {
			mapDone(m)
			h.run(time.Second, w1)
			mapDone(h.get(w1, protocol.ActMap))
			h.run(2*time.Second, w1)
			mapDone(h.get(w1, protocol.ActMap))
		}, 600, 400, 3000},
		{"reduce-0 won at 7 s", func() {
			h.run(time.Second, w1)
			h.s.Done(ref(w1, h.get(w1, protocol.ActReduce)), Output{Read: 100, Written: 10}, h.now)
		}, 600, 500, 1400},
		// w1 dies: its map outputs are lost, and run again.
		{"no live worker", func() { h.run(5 * time.Second) }, 600, 100, unknown},
	} {
		step.do()
		w := h.s.Status(t0, time.Time{}, h.now).Work
		eta := int64(unknown)
		if w.ETAMS != nil {
			eta = *w.ETAMS
		}
		if w.Unit != "bytes" || w.Total != step.total || w.Done != step.done || eta != step.eta {
			t.Fatalf("%s: work %+v, eta %d; want %v of %v, eta %d", step.what, w, eta, step.done, step.total, step.eta)
		}
	}
}

// Work recovered from a journal is done, but was not done at this run's
// rate: the ETA leaves it out of the rate.
func TestStatusETALeavesRecoveredWorkOutOfTheRate(t *testing.T) {
	h := newHarness(t, 2, 2)
	h.s.cfg.MapSizes = []int64{100, 100}
	h.s.Restore(Restart{Reduces: []Commit{{Task: 0, Attempt: 1, Worker: "w1", Read: 100, Written: 10}},
		Workers: []string{"w1"}}, h.now)
	w2 := h.join("a:1")
	m := h.get(w2, protocol.ActMap)
	h.run(time.Second, w2)
	h.s.Done(ref(w2, m), Output{Runs: 2, Written: 100, Read: 100}, h.now)
	// 200 bytes of maps and 200 of reduces; done: map-0, and reduce-0
	// from the journal. This run did 100 bytes in 1 s: 200 are left.
	w := h.s.Status(t0, time.Time{}, h.now).Work
	if w.Total != 400 || w.Done != 200 || w.ETAMS == nil || *w.ETAMS != 2000 {
		t.Fatalf("work %+v", w)
	}
}

// Without the inputs' sizes, every task weighs one.
func TestStatusETAInTasks(t *testing.T) {
	h := newHarness(t, 3, 1)
	w1 := h.join("a:1")
	m := h.get(w1, protocol.ActMap)
	h.run(2*time.Second, w1)
	h.report(w1, m)
	w := h.s.Status(t0, time.Time{}, h.now).Work
	if w.Unit != "tasks" || w.Total != 4 || w.Done != 1 || w.ETAMS == nil || *w.ETAMS != 6000 {
		t.Fatalf("work %+v", w)
	}
	h.report(w1, h.get(w1, protocol.ActMap))
	h.report(w1, h.get(w1, protocol.ActMap))
	h.report(w1, h.get(w1, protocol.ActReduce))
	if w := h.s.Status(t0, time.Time{}, h.now).Work; w.Done != 4 || w.ETAMS != nil {
		t.Fatalf("in the final merge: work %+v", w)
	}
}

// A map committed before a restart, waiting for its owner, is counted
// as pending: the states add up to the tasks.
func TestStatusCountsPendingMaps(t *testing.T) {
	h := newHarness(t, 3, 1)
	h.s.Restore(Restart{Maps: []Commit{{Task: 1, Attempt: 1, Worker: "w1", Written: 10}},
		Workers: []string{"w1"}, Until: h.now.Add(8 * time.Second)}, h.now)
	st := h.s.Status(t0, time.Time{}, h.now)
	if c := st.MapTasks; c.Pending != 1 || c.Idle != 2 || c.Idle+c.Running+c.Done+c.Pending != c.Total {
		t.Fatalf("map tasks %+v", c)
	}
	if r := rowOf(t, st, "map-1"); r.State != "pending" {
		t.Fatalf("map-1 row %+v", r)
	}
}
