// Tests of failures by class: the app's count against the task, the worker's against the worker, and exclusion.

package scheduler

import (
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// Failures in classes: the app's count against the task, the worker's
// own against the worker, which is excluded when it keeps failing.

// fail reports attempt a of worker id failed, with class and why.
func (h *schedHarness) fail(id string, a *attempt, class protocol.FailureClass, why string) {
	h.t.Helper()
	if !h.s.Failed(ref(id, a), class, why, h.now) {
		h.t.Fatalf("failure of %s refused", a.ID())
	}
}

func TestFailureClassesCountApart(t *testing.T) {
	cases := []struct {
		class                  protocol.FailureClass
		taskFails, workerFails int
	}{
		{protocol.FailApp, 1, 0},
		{protocol.FailWorker, 0, 1},
		{0, 0, 1}, // unknown: the worker's
		{protocol.FailureClass(9), 0, 1},
	}
	for _, c := range cases {
		h := newHarness(t, 1, 1)
		w1 := h.join("a:1")
		a := h.get(w1, protocol.ActMap)
		h.fail(w1, a, c.class, "boom")
		w := h.s.workers[w1]
		if a.task.failures != c.taskFails || w.failRun != c.workerFails || a.task.state != taskIdle || a.outcome != outcomeFailed {
			t.Errorf("class %d: task failures %d, worker failures %d, task %s, attempt %s",
				c.class, a.task.failures, w.failRun, a.task.state, a.outcome)
		}
	}
}

func TestAppFailureLimitNamesTaskInputAndError(t *testing.T) {
	h := newHarness(t, 3, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	for i := 0; i < 3; i++ {
		// Other maps go first; map-2 is taken by alternating workers.
		var a *attempt
		for a = h.get(w1, protocol.ActMap); a.task.index != 2; a = h.get(w1, protocol.ActMap) {
			h.mapDone(w1, a)
		}
		if h.s.phase == phaseFailed {
			t.Fatalf("job failed after %d app failures", i)
		}
		h.fail(w1, a, protocol.FailApp, "panic: runtime error: index out of range [5] with length 3")
		w1, w2 = w2, w1
	}
	want := "map-2 (input in-2.txt) failed 3 times; the app's last error: panic: runtime error: index out of range [5] with length 3"
	if why, failed := h.s.Job().Failure, h.s.Job().Failed; !failed || why != want {
		t.Fatalf("failure %q (%v), want %q", why, failed, want)
	}
	if reply := h.s.Assign(w1, AskIdle, h.now); reply.Action != protocol.ActExit || reply.Reason != want {
		t.Fatalf("told %s %q", reply.Action, reply.Reason)
	}
}

func TestWorkerFailuresNeverFailTheTask(t *testing.T) {
	h := newHarness(t, 1, 1)
	var ids []string
	for i := 0; i < 5; i++ {
		id := h.join("a:1")
		ids = append(ids, id)
		for j := 0; j < 2; j++ {
			h.fail(id, h.get(id, protocol.ActMap), protocol.FailWorker, "mkdir: read-only file system")
		}
	}
	if h.s.phase == phaseFailed || h.s.maps[0].failures != 0 || len(h.s.maps[0].history) != 10 {
		t.Fatalf("phase %s, task failures %d, %d attempts", h.s.phase, h.s.maps[0].failures, len(h.s.maps[0].history))
	}
	if !h.mapDone(ids[0], h.get(ids[0], protocol.ActMap)) {
		t.Fatal("the task could not complete after its workers' failures")
	}
}

func TestRepeatedWorkerFailuresExclude(t *testing.T) {
	// Each step: w1 fails ("f") or wins ("w") one attempt.
	cases := []struct {
		steps    string
		excluded bool
	}{
		{"ff", false},
		{"fff", true},
		{"ffwff", false}, // a win in between starts the count again
		{"ffwfff", true},
	}
	for _, c := range cases {
		h := newHarness(t, 8, 1)
		w1, w2 := h.join("a:1"), h.join("b:1")
		for _, step := range c.steps {
			a := h.get(w1, protocol.ActMap)
			if step == 'w' {
				h.mapDone(w1, a)
			} else {
				h.fail(w1, a, protocol.FailWorker, "write mr-3-0.a1: no space left on device")
			}
		}
		w := h.s.workers[w1]
		if (w.excluded != "") != c.excluded {
			t.Errorf("%s: excluded %q, want %v", c.steps, w.excluded, c.excluded)
			continue
		}
		if c.excluded {
			checkExcluded(t, h, w1, "3 failures in a row, last: write mr-3-0.a1: no space left on device")
		}
		h.get(w2, protocol.ActMap) // the others work on
	}
}

// checkExcluded checks what an excluded worker sees, and the summary.
func checkExcluded(t *testing.T, h *schedHarness, id, why string) {
	t.Helper()
	w := h.s.workers[id]
	if w.excluded != why {
		t.Fatalf("excluded %q, want %q", w.excluded, why)
	}
	if h.action(id) != protocol.ActWait {
		t.Fatal("an excluded worker's heartbeat is not answered wait")
	}
	reply := h.s.Assign(id, AskIdle, h.now)
	if want := "worker " + id + " is excluded from the job: " + why; reply.Action != protocol.ActExit || reply.Reason != want {
		t.Fatalf("told %s %q, want exit %q", reply.Action, reply.Reason, want)
	}
	for _, ws := range h.s.Summary(t0, h.now).Workers {
		if ws.ID == id && ws.Excluded != why {
			t.Fatalf("summary says excluded %q", ws.Excluded)
		}
	}
	if h.s.Progress().LiveWorkers != len(h.s.workers)-1 {
		t.Fatalf("%d live workers", h.s.Progress().LiveWorkers)
	}
}

func TestExclusionEndsAttemptAndRerunsOutputs(t *testing.T) {
	h := newHarness(t, 3, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0 := h.get(w1, protocol.ActMap)
	h.mapDone(w1, m0)
	m1 := h.get(w2, protocol.ActMap)
	h.s.exclude(h.s.workers[w2], "testing", h.now)
	h.s.exclude(h.s.workers[w1], "testing", h.now)
	if m1.outcome != outcomeExcluded || m0.outcome != outcomeLost || h.s.mapsDone != 0 {
		t.Fatalf("running attempt %s, committed %s, %d maps done", m1.outcome, m0.outcome, h.s.mapsDone)
	}
	if h.mapDone(w2, m1) {
		t.Fatal("an excluded worker's report accepted")
	}
	h.tick(2 * h.s.cfg.HeartbeatTimeout) // another worker may still join
	if _, failed := h.s.Job().Failure, h.s.Job().Failed; failed {
		t.Fatal("the job failed at once, before another worker could join")
	}
	h.tick(time.Millisecond)
	if why, failed := h.s.Job().Failure, h.s.Job().Failed; !failed || !strings.Contains(why, "every worker that joined (2) was excluded") {
		t.Fatalf("failure %q (%v)", why, failed)
	}
}

// A bad worker started first, excluded at once, must not fail the job
// that a good one joins soon after.
func TestAllExcludedWaitsForAnotherWorker(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	h.get(w1, protocol.ActMap)
	h.s.exclude(h.s.workers[w1], "disk full", h.now)
	h.tick(h.s.cfg.HeartbeatTimeout)
	w2 := h.join("b:1")
	h.run(2*h.s.cfg.HeartbeatTimeout, w2)
	if _, failed := h.s.Job().Failure, h.s.Job().Failed; failed {
		t.Fatal("the job failed though a worker joined")
	}
	if !h.mapDone(w2, h.get(w2, protocol.ActMap)) {
		t.Fatal("the new worker's map was refused")
	}
}

func TestJobGoesOnWhileOneWorkerIsIn(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.s.exclude(h.s.workers[w1], "testing", h.now)
	h.run(5*time.Second, w2) // w1, excluded, stays silent: it is not declared dead
	if h.s.phase == phaseFailed || h.s.workers[w1].dead {
		t.Fatalf("phase %s, excluded worker dead %v", h.s.phase, h.s.workers[w1].dead)
	}
	h.mapDone(w2, h.get(w2, protocol.ActMap))
	h.reduceDone(w2, h.get(w2, protocol.ActReduce))
	h.s.End("")
	h.get(w2, protocol.ActExit)
	if !h.s.allExited() {
		t.Fatal("the end waits for an excluded worker")
	}
}
