// The scheduler's table tests and their harness on a fake clock.

package scheduler

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// The scheduler's table tests and their harness: a test moves a fake
// clock by hand; nothing here sleeps.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type schedHarness struct {
	t   *testing.T
	s   *Scheduler
	now time.Time
}

func newHarness(t *testing.T, nMap, nReduce int) *schedHarness {
	inputs := make([]string, nMap)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("in-%d.txt", i)
	}
	cfg := Config{NMap: nMap, NReduce: nReduce, MapInputs: inputs, HeartbeatTimeout: 4 * time.Second,
		TaskTimeout: 10 * time.Second, BackupAfter: 5 * time.Second, MaxFailures: 3, MaxWorkerFailures: 3,
		MaxLostOutputs: 3}
	return &schedHarness{t: t, s: New(cfg), now: t0}
}

func (h *schedHarness) tick(d time.Duration) {
	h.now = h.now.Add(d)
	h.s.Tick(h.now)
}

// run moves the clock by d in heartbeat-sized steps; the named workers
// beat at every step, the others stay silent.
func (h *schedHarness) run(d time.Duration, beating ...string) {
	for end := h.now.Add(d); h.now.Before(end); {
		h.tick(500 * time.Millisecond)
		h.beat(beating...)
	}
}

func (h *schedHarness) join(addr string) string { return h.joinFrom(addr, "") }

// joinFrom registers a worker advertising addr whose connection came
// from host ("" for addr's).
func (h *schedHarness) joinFrom(addr, host string) string {
	id, err := h.s.Register(Registration{App: "app", Addr: addr, Host: host}, h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *schedHarness) get(id string, want protocol.Action) *attempt {
	h.t.Helper()
	reply := h.s.Assign(id, AskIdle, h.now)
	if reply.Action != want {
		h.t.Fatalf("assign(%s) = %s, want %s", id, reply.Action, want)
	}
	switch want {
	case protocol.ActMap:
		return last(h.s.maps[reply.Task].history)
	case protocol.ActReduce:
		return last(h.s.reduces[reply.Task].history)
	}
	return nil
}

// ref names attempt a as run by worker id.
func ref(id string, a *attempt) protocol.Attempt {
	return protocol.Attempt{WorkerID: id, Kind: a.task.kind, Task: a.task.index, N: a.n}
}

func (h *schedHarness) mapDone(id string, a *attempt) bool {
	return h.s.Done(ref(id, a), Output{Runs: h.s.cfg.NReduce, Parts: a.parts, Written: int64(10 + a.task.index)}, h.now)
}

func (h *schedHarness) reduceDone(id string, a *attempt) bool {
	return h.s.Done(ref(id, a), Output{}, h.now)
}

func (h *schedHarness) beat(ids ...string) {
	for _, id := range ids {
		h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: id}, h.now)
	}
}

// action is what a heartbeat of worker id is told to do.
func (h *schedHarness) action(id string) protocol.Action {
	return h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: id}, h.now).Action
}

func TestHappyPathRunsEachTaskOnce(t *testing.T) {
	h := newHarness(t, 3, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	m0, m1 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap)
	if !h.mapDone(w1, m0) {
		t.Fatal("first map report refused")
	}
	m2 := h.get(w1, protocol.ActMap)
	// Reduces wait for the last map; the early Exit is never given.
	h.get(w3, protocol.ActWait)
	h.mapDone(w2, m1)
	h.mapDone(w1, m2)
	if h.s.phase != phaseReduce {
		t.Fatalf("phase %s, want reduce", h.s.phase)
	}
	r0, r1 := h.get(w1, protocol.ActReduce), h.get(w2, protocol.ActReduce)
	src := h.s.Sources()
	maps, err := protocol.UnpackSources(src.Maps, 3, len(src.Owners))
	if err != nil || src.Owners[maps[1].Owner] != "b:1" || src.Owners[maps[2].Owner] != "a:1" ||
		maps[0].Attempt != 1 || len(src.Owners) != 2 || h.s.Sources() != src {
		t.Fatalf("sources = %+v (%v)", maps, err)
	}
	h.reduceDone(w1, r0)
	h.get(w1, protocol.ActWait)
	h.reduceDone(w2, r1)
	if h.s.phase != phaseMerge {
		t.Fatalf("phase %s, want merge", h.s.phase)
	}
	h.get(w1, protocol.ActWait) // the final file is not written yet
	if h.action(w1) != protocol.ActWait {
		t.Fatal("exit before the final output")
	}
	h.s.End("")
	h.get(w1, protocol.ActExit)
	if h.s.allExited() {
		t.Fatal("w2 has not been told to exit")
	}
	h.get(w2, protocol.ActExit)
	if h.action(w3) != protocol.ActExit { // hearing it by heartbeat counts too
		t.Fatal("heartbeat after the end is not told to exit")
	}
	if !h.s.allExited() {
		t.Fatal("allExited false after both got Exit")
	}
	for _, tk := range append(h.s.maps, h.s.reduces...) {
		if len(tk.history) != 1 {
			t.Errorf("%s-%d ran %d attempts", tk.kind, tk.index, len(tk.history))
		}
	}
}

func TestDeadWorkerLosesRunningAndCompletedMaps(t *testing.T) {
	h := newHarness(t, 2, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0 := h.get(w1, protocol.ActMap)
	m1 := h.get(w2, protocol.ActMap)
	h.mapDone(w1, m0)
	// w1 goes silent; w2 keeps beating.
	h.run(4*time.Second, w2)
	if h.s.workers[w1].dead {
		t.Fatal("w1 declared dead after exactly the timeout")
	}
	h.run(500*time.Millisecond, w2)
	if !h.s.workers[w1].dead {
		t.Fatal("w1 not declared dead after 4 s of silence")
	}
	if m0.task.state != taskIdle || h.s.mapsDone != 0 {
		t.Fatalf("completed map of dead worker: state %s, mapsDone %d", m0.task.state, h.s.mapsDone)
	}
	h.mapDone(w2, m1)
	again := h.get(w2, protocol.ActMap)
	if again.task != m0.task || again.n != 2 {
		t.Fatalf("re-run got %s", again.ID())
	}
	// The dead worker's late report and requests are refused.
	if h.mapDone(w1, m0) {
		t.Fatal("report of a dead worker accepted")
	}
	if h.action(w1) != protocol.ActReregister {
		t.Fatal("dead worker not told to re-register")
	}
	h.get(w1, protocol.ActReregister)
}

func TestDeadWorkerAfterReducesDoneKeepsMaps(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	h.reduceDone(w2, h.get(w2, protocol.ActReduce))
	h.tick(5 * time.Second)
	if h.s.mapsDone != 1 || h.s.phase != phaseMerge {
		t.Fatalf("mapsDone %d phase %s after reduces were done", h.s.mapsDone, h.s.phase)
	}
}

func TestSlowTaskGetsOneBackupAndFirstCompletionWins(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	slow := h.get(w1, protocol.ActMap)
	h.get(w2, protocol.ActWait)
	h.run(9*time.Second, w1, w2)
	h.get(w2, protocol.ActWait)
	h.run(2*time.Second, w1, w2)
	backup := h.get(w2, protocol.ActMap)
	if backup.task != slow.task || backup.n != 2 {
		t.Fatalf("backup is %s", backup.ID())
	}
	h.run(11*time.Second, w1, w2)
	if len(slow.task.running) != 2 || len(h.s.backups) != 0 {
		t.Fatalf("%d attempts running, %d backups queued", len(slow.task.running), len(h.s.backups))
	}
	if !h.mapDone(w2, backup) {
		t.Fatal("backup's report refused")
	}
	if h.mapDone(w1, slow) {
		t.Fatal("late report of the superseded attempt accepted")
	}
	if got := h.s.location(h.s.maps[0]); got.Addr != "b:1" || got.Attempt != 2 {
		t.Fatalf("source = %+v, want the winner's", got)
	}
}

func TestStaleReportNeverOverwritesCommittedOutput(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	first := h.get(w1, protocol.ActMap)
	h.run(11*time.Second, w1, w2)
	second := h.get(w2, protocol.ActMap)
	h.mapDone(w1, first)
	if h.mapDone(w2, second) {
		t.Fatal("second completion accepted")
	}
	if got := h.s.location(h.s.maps[0]); got.Addr != "a:1" || got.Attempt != 1 {
		t.Fatalf("committed output changed: %+v", got)
	}
	if second.outcome != outcomeLost || first.outcome != outcomeWon {
		t.Fatalf("outcomes %s/%s", first.outcome, second.outcome)
	}
}

func TestReportWithWrongAttemptOrWorkerIgnored(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	one := 1
	cases := []struct {
		ref     protocol.Attempt
		nReduce int
	}{
		{protocol.Attempt{WorkerID: w2, Kind: protocol.MapTask, Task: 0, N: 1}, one},
		{protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: 0, N: 2}, one},
		{protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: 5, N: 1}, one},
		{protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: -1, N: 1}, one},
		{protocol.Attempt{WorkerID: w1, Kind: protocol.ReduceTask, Task: 0, N: 1}, one},
		{protocol.Attempt{WorkerID: "nobody", Kind: protocol.MapTask, Task: 0, N: 1}, one},
		{protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: 0, N: 1}, 2}, // wrong number of runs
	}
	for _, c := range cases {
		if h.s.Done(c.ref, Output{Runs: c.nReduce}, h.now) {
			t.Errorf("report %+v with %d runs accepted", c.ref, c.nReduce)
		}
	}
	if !h.mapDone(w1, a) {
		t.Fatal("the real report was refused")
	}
}

func TestRepeatedAppFailureFailsJob(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	for i := 1; i <= 3; i++ {
		a := h.get(w1, protocol.ActMap)
		if a.n != i {
			t.Fatalf("attempt %d is %s", i, a.ID())
		}
		h.s.Failed(ref(w1, a), protocol.FailApp, "panic: boom", h.now)
	}
	if h.s.phase != phaseFailed || h.s.failure == "" {
		t.Fatalf("phase %s failure %q", h.s.phase, h.s.failure)
	}
	h.get(w1, protocol.ActExit)
}

func TestWrongAppRefused(t *testing.T) {
	h := newHarness(t, 1, 1)
	h.join("a:1")
	if _, err := h.s.Register(Registration{App: "other", Addr: "b:1"}, h.now); !errors.Is(err, ErrWrongApp) {
		t.Fatalf("register other app: %v", err)
	}
}

func TestAskingAgainAbandonsCurrentAttempt(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	a := h.get(w1, protocol.ActMap)
	b := h.get(w1, protocol.ActMap)
	if a.outcome != outcomeAbandoned || b.n != 2 || len(b.task.running) != 1 {
		t.Fatalf("a=%s b=%s running=%d", a.outcome, b.ID(), len(b.task.running))
	}
}

// An accepted report's reply carries the next attempt only if an idle
// task waits, and asks nothing of the worker otherwise; the reply to a
// report sent again carries the attempt the first one handed out.
func TestAssignAfterReport(t *testing.T) {
	h := newHarness(t, 2, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0, m1 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap)
	h.mapDone(w1, m0)
	h.s.TakeEvents()
	for _, w := range []string{w1, w2} { // w2 still runs m1: it is not abandoned
		if r := h.s.Assign(w, AskAfterReport, h.now); r.Action != protocol.ActWait || m1.outcome != outcomeRunning {
			t.Fatalf("%s, with no idle task, after a report: %s; map-1 %s", w, r.Action, m1.outcome)
		}
	}
	if ev := h.s.TakeEvents(); len(ev) != 0 {
		t.Fatalf("asking after a report with nothing idle changed things: %v", ev)
	}
	h.mapDone(w2, m1)
	r0 := h.s.Assign(w2, AskAfterReport, h.now)
	if r0.Action != protocol.ActReduce {
		t.Fatalf("with a reduce idle, after a report: %s", r0.Action)
	}
	again := h.s.Assign(w2, AskAfterRepeat, h.now)
	if again.Action != protocol.ActReduce || again.Task != r0.Task || again.Attempt != r0.Attempt {
		t.Fatalf("after a repeated report: %+v, want %+v again", again, r0)
	}
	if r := h.s.Assign(w1, AskAfterRepeat, h.now); r.Action != protocol.ActWait {
		t.Fatalf("after a repeated report of an idle worker with nothing idle: %s", r.Action)
	}
}

// A worker registers with the host its connection came from, and as a
// pool member; one that leaves is dead at once, its attempt redone.
func TestRegisterAndLeave(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, err := h.s.Register(Registration{App: "app", Addr: "a:1", Host: "10.0.0.1", Pool: true, Jobs: 2}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	w2 := h.join("b:1")
	if w := h.s.workers[w1]; w.host != "10.0.0.1" || !w.pool || w.jobs != 2 || h.s.workers[w2].host != "b" || h.s.workers[w2].pool {
		t.Fatalf("registered %+v and %+v", *w, *h.s.workers[w2])
	}
	a := h.get(w1, protocol.ActMap)
	h.s.Leave(w1, "it left", h.now)
	if a.outcome != outcomeDied || !hasEvent(h.s.TakeEvents(), WorkerDied) {
		t.Fatalf("the leaver's attempt %s", a.outcome)
	}
	if h.get(w2, protocol.ActMap).task != a.task {
		t.Fatal("the leaver's task was not redone")
	}
}

func TestNoMapsGoesStraightToReduce(t *testing.T) {
	h := newHarness(t, 0, 2)
	w1 := h.join("a:1")
	h.reduceDone(w1, h.get(w1, protocol.ActReduce))
	h.reduceDone(w1, h.get(w1, protocol.ActReduce))
	if h.s.phase != phaseMerge {
		t.Fatalf("phase %s", h.s.phase)
	}
}

func TestEnumsPrint(t *testing.T) {
	for _, s := range []string{protocol.MapTask.String(), protocol.ReduceTask.String(), phaseReduce.String(),
		outcomeWon.String(), protocol.ActReduce.String(), taskRunning.String()} {
		if s == "" || s[len(s)-1] == '?' {
			t.Errorf("enum prints %q", s)
		}
	}
}

// hasEvent reports whether events hold one of kind k.
func hasEvent(events []Event, k EventKind) bool {
	for _, e := range events {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// last is the attempt just assigned.
func last(history []*attempt) *attempt { return history[len(history)-1] }

// With WaitWorkers, nothing is handed out until that many have joined;
// then work goes on whoever leaves.
func TestWaitForWorkers(t *testing.T) {
	h := newHarness(t, 2, 1)
	h.s.cfg.WaitWorkers = 2
	w1 := h.join("a:1")
	if r := h.s.Assign(w1, AskIdle, h.now); r.Action != protocol.ActWait || h.s.idleWork() {
		t.Fatalf("one worker of two got %s", r.Action)
	}
	w2 := h.join("b:1")
	h.get(w1, protocol.ActMap)
	h.get(w2, protocol.ActMap)
}

// A worker that asks for its next attempt while sending a reduce
// output keeps that attempt running, for the upload to commit it; once
// it stops naming it, or dies, the attempt ends and its task is redone.
func TestCommittingKeepsAnUploadingAttempt(t *testing.T) {
	h := newHarness(t, 1, 3)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	r0 := h.get(w1, protocol.ActReduce)
	h.s.Committing(w1, []protocol.Attempt{ref(w1, r0)}, h.now)
	r1 := h.get(w1, protocol.ActReduce)
	if r0.outcome != outcomeRunning || r1.task == r0.task {
		t.Fatalf("committing %s: %s, then given %s", r0.ID(), r0.outcome, r1.ID())
	}
	if !h.reduceDone(w1, r0) || r0.task.winner != r0 {
		t.Fatal("the committing attempt's upload did not commit it")
	}
	// Named again once won: nothing to keep. r1 committing, then not named: abandoned.
	h.s.Committing(w1, []protocol.Attempt{ref(w1, r0), ref(w1, r1)}, h.now)
	if len(h.s.workers[w1].sending) != 1 {
		t.Fatalf("committing %d attempts, want r1 alone", len(h.s.workers[w1].sending))
	}
	h.s.Committing(w1, nil, h.now)
	r2 := h.get(w1, protocol.ActReduce)
	if r1.outcome != outcomeAbandoned || r1.task.state == taskDone {
		t.Fatalf("r1 %s, task %s: want abandoned and redone", r1.outcome, r1.task.state)
	}
	// Another worker's attempt is never kept.
	r3 := h.get(w2, protocol.ActReduce)
	h.s.Committing(w1, []protocol.Attempt{ref(w1, r3), ref(w1, r2)}, h.now)
	if got := h.s.workers[w1].sending; len(got) != 1 || got[0] != r2 {
		t.Fatalf("committing %v, want r2 alone", got)
	}
	// A worker that dies ends what it was committing.
	h.run(5*time.Second, w2)
	if !h.s.workers[w1].dead || r2.outcome != outcomeDied || r2.task.state == taskDone {
		t.Fatalf("dead %v: r2 %s, task %s", h.s.workers[w1].dead, r2.outcome, r2.task.state)
	}
}
