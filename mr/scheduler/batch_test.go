// Batches of reduce tasks: their sizes over a phase, and each task of a
// batch failing, winning or being redone on its own.

package scheduler

import (
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// newBatchJob is a job of one map, done, and nReduce reduces, batching up
// to 8, with workers w1 and w2; one reduce attempt has won in 10 ms.
func newBatchJob(t *testing.T, nReduce int) (*schedHarness, string, string) {
	h := newHarness(t, 1, nReduce)
	h.s.cfg.ReduceBatch = 8
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	first := h.s.Assign(w1, AskIdle, h.now)
	if first.Action != protocol.ActReduce || len(first.Batch) != 0 {
		t.Fatalf("first reduce assignment %+v: want one task, none typical yet", first)
	}
	h.now = h.now.Add(10 * time.Millisecond)
	if !h.reduceDone(w1, last(h.s.reduces[first.Task].history)) {
		t.Fatal("first reduce refused")
	}
	return h, w1, w2
}

// batch returns the attempts an assignment names, its first included.
func (h *schedHarness) batch(reply protocol.GetTaskReply) []*attempt {
	as := []*attempt{last(h.s.reduces[reply.Task].history)}
	for _, b := range reply.Batch {
		a := last(h.s.reduces[b.Task].history)
		if a.n != b.Attempt || a.outcome != outcomeRunning {
			h.t.Fatalf("batch names %v, the task's last attempt is %s (%s)", b, a.ID(), a.outcome)
		}
		as = append(as, a)
	}
	return as
}

func TestReduceBatchesShrinkToOneAtThePhaseEnd(t *testing.T) {
	h, w1, w2 := newBatchJob(t, 200)
	var sizes []int
	for ask, turn := AskIdle, 0; h.s.phase == phaseReduce; turn++ {
		id := []string{w1, w2}[turn%2]
		left := len(h.s.reduces) - h.s.reducesDone
		reply := h.s.Assign(id, ask, h.now)
		if reply.Action != protocol.ActReduce {
			t.Fatalf("turn %d: %s, want reduce", turn, reply.Action)
		}
		as := h.batch(reply)
		sizes = append(sizes, len(as))
		if left < 2*batchShare*2 && len(as) > 1 { // each worker's share under 2 batches' worth
			t.Errorf("batch of %d with %d tasks left", len(as), left)
		}
		h.now = h.now.Add(time.Duration(len(as)) * 10 * time.Millisecond)
		for _, a := range as {
			if !h.reduceDone(id, a) {
				t.Fatalf("report of %s refused", a.ID())
			}
		}
		ask = AskAfterReport
	}
	if sizes[0] != 8 || sizes[len(sizes)-1] != 1 {
		t.Errorf("batch sizes %v: want 8 first, 1 last", sizes)
	}
	for i := 1; i < len(sizes); i++ {
		if sizes[i] > sizes[i-1] {
			t.Errorf("batch sizes %v grow at %d", sizes, i)
		}
	}
	for _, tk := range h.s.reduces {
		if len(tk.history) != 1 || tk.winner == nil {
			t.Errorf("reduce-%d: %d attempts, winner %v", tk.index, len(tk.history), tk.winner != nil)
		}
	}
	if typical, _ := h.s.typical(protocol.ReduceTask); typical != 10*time.Millisecond {
		t.Errorf("typical reduce %v, want 10ms: a batch's tasks share its time", typical)
	}
}

func TestBatchTasksFailWinAndRedoAlone(t *testing.T) {
	h, w1, w2 := newBatchJob(t, 100)
	reply := h.s.Assign(w1, AskAfterReport, h.now)
	as := h.batch(reply)
	if len(as) != 8 {
		t.Fatalf("batch of %d, want 8", len(as))
	}
	// The first wins, the second fails (the app's), the third cannot
	// fetch map 0 from its owner (w1 itself, asked to verify).
	h.reduceDone(w1, as[0])
	h.fail(w1, as[1], protocol.FailApp, "panic")
	if rep := h.locate(w1, as[2], 0, 1); rep.Abort {
		t.Fatalf("locate for a running batch attempt: %+v", rep)
	}
	if as[1].task.state != taskIdle || as[1].task.failures != 1 || as[2].outcome != outcomeRunning {
		t.Fatalf("after one failure: %s %s failures %d, %s %s", as[1].ID(), as[1].task.state, as[1].task.failures,
			as[2].ID(), as[2].outcome)
	}
	// Its reply lost, the report is sent again: the same batch, still running.
	again := h.s.Assign(w1, AskAfterRepeat, h.now)
	if again.Task != as[2].task.index || again.Attempt != as[2].n || len(again.Batch) != 5 {
		t.Fatalf("repeated assignment %+v, want %s and the 5 others running", again, as[2].ID())
	}
	// w1 dies: the rest of its batch goes back to idle; the winner stays won.
	h.run(5*time.Second, w2)
	for _, a := range as[2:] {
		if a.outcome != outcomeDied || a.task.state != taskIdle {
			t.Errorf("%s: %s, task %s; want died, idle", a.ID(), a.outcome, a.task.state)
		}
	}
	if as[0].task.state != taskDone || as[0].task.winner != as[0] {
		t.Errorf("%s lost its win", as[0].ID())
	}
	if h.reduceDone(w1, as[3]) {
		t.Error("a dead worker's batch report accepted")
	}
	h.mapDone(w2, h.get(w2, protocol.ActMap)) // w1 held map 0's output
	for ask := AskIdle; h.s.phase == phaseReduce; ask = AskAfterReport {
		for _, a := range h.batch(h.s.Assign(w2, ask, h.now)) {
			h.reduceDone(w2, a)
		}
	}
	for _, a := range as[1:] {
		if w := a.task.winner; w == nil || w.n != 2 || w.worker.id != w2 {
			t.Errorf("%s's task won by %v, want its second attempt, on w2", a.ID(), w)
		}
	}
}

func TestIdleAskAbandonsTheWholeBatch(t *testing.T) {
	h, w1, _ := newBatchJob(t, 100)
	as := h.batch(h.s.Assign(w1, AskAfterReport, h.now))
	h.reduceDone(w1, as[0])
	next := h.batch(h.s.Assign(w1, AskIdle, h.now)) // it gave up the rest
	for _, a := range as[1:] {
		if a.outcome != outcomeAbandoned {
			t.Errorf("%s: %s, want abandoned", a.ID(), a.outcome)
		}
	}
	if next[0].task != as[1].task && next[0].task.index < as[1].task.index {
		t.Errorf("next batch starts at %s", next[0].ID())
	}
	for _, a := range next {
		if a.outcome != outcomeRunning || a.worker.id != w1 {
			t.Errorf("%s: %s", a.ID(), a.outcome)
		}
	}
}

func TestNoBatchWithoutLimitOrInMapOnlyJobs(t *testing.T) {
	for _, mapOnly := range []bool{false, true} {
		h, w1, _ := newBatchJob(t, 100)
		h.s.cfg.ReduceBatch = 1
		if mapOnly {
			h.s.cfg.ReduceBatch, h.s.cfg.MapOnly = 8, true
		}
		if reply := h.s.Assign(w1, AskAfterReport, h.now); len(reply.Batch) != 0 {
			t.Errorf("mapOnly %v: batch of %d", mapOnly, len(reply.Batch)+1)
		}
	}
}

func TestBatchRunsBoundedWhateverM(t *testing.T) {
	h, _, _ := newBatchJob(t, 100)
	maps := h.s.maps
	defer func() { h.s.maps = maps }()
	for _, tc := range []struct{ maps, want int }{{1, 8}, {protocol.MaxBatchRuns / 4, 4}, {protocol.MaxBatchRuns, 1}} {
		h.s.maps = make([]*task, tc.maps) // only counted
		if got := h.s.batchSize(); got != tc.want {
			t.Errorf("M = %d: batches of %d, want %d", tc.maps, got, tc.want)
		}
	}
}
