// Counters: only winners count, and counters past protocol's bounds are
// ignored with an event.

package scheduler

import (
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// report completes attempt a with its counters. Every attempt counts one input
// record and one "seen" of the app's, so the totals say how many ran.
func (h *schedHarness) report(id string, a *attempt) bool {
	c := &protocol.Counters{MapInputRecords: 1, ReduceInputGroups: 1, User: map[string]int64{"seen": 1}}
	if a.task.kind == protocol.MapTask {
		return h.s.Done(ref(id, a), Output{Runs: h.s.cfg.NReduce, Written: int64(10 + a.task.index), Counters: c}, h.now)
	}
	return h.s.Done(ref(id, a), Output{Counters: c}, h.now)
}

// "The counter values from individual worker machines are periodically
// propagated to the master ... The master eliminates the effects of
// duplicate executions of the same map or reduce task to avoid double
// counting" (OSDI'04, 4.9).
func TestCountersCountWinnersOnly(t *testing.T) {
	h := newHarness(t, 3, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	m0, m1, m2 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap), h.get(w3, protocol.ActMap)
	// map-0 fails once and runs again.
	h.s.Failed(ref(w1, m0), protocol.FailApp, "app: Map panicked", h.now)
	h.report(w1, h.get(w1, protocol.ActMap))
	h.report(w3, m2)
	// map-1 is slow and gets a backup; both finish, the backup first.
	h.run(11*time.Second, w1, w2, w3)
	m1b := h.get(w3, protocol.ActMap)
	if m1b.task != m1.task {
		t.Fatalf("backup is %s", m1b.ID())
	}
	h.report(w3, m1b)
	if h.report(w2, m1) {
		t.Fatal("the straggler's late report was accepted")
	}
	// w3, which holds map-1 and map-2's outputs, dies: both are re-run.
	h.run(5*time.Second, w1, w2)
	if !h.s.workers[w3].dead || h.s.maps[1].state != taskIdle || h.s.maps[2].state != taskIdle {
		t.Fatalf("w3 dead %v, map-1 %s, map-2 %s", h.s.workers[w3].dead, h.s.maps[1].state, h.s.maps[2].state)
	}
	for range 2 {
		h.report(w1, h.get(w1, protocol.ActMap))
	}
	// Each reduce runs once; a stale report of a superseded attempt adds nothing.
	r0, r1 := h.get(w1, protocol.ActReduce), h.get(w2, protocol.ActReduce)
	h.report(w1, r0)
	h.report(w2, r1)
	h.s.Done(ref(w2, m1), Output{Runs: h.s.cfg.NReduce, Written: 11, Counters: &protocol.Counters{MapInputRecords: 100}}, h.now)

	got := h.s.counters()
	if got.MapInputRecords != 5 || got.ReduceInputGroups != 5 || got.User["seen"] != 5 {
		t.Fatalf("counters = %+v, want each of the 5 tasks counted once", got)
	}
	var ran int
	for _, tk := range append(h.s.maps, h.s.reduces...) {
		ran += len(tk.history)
	}
	if ran != 9 {
		t.Fatalf("%d attempts ran, want 9 (the test lost its point)", ran)
	}
	if sum := h.s.Summary(t0, h.now); sum.Counters.User["seen"] != 5 {
		t.Fatalf("summary counters = %+v", sum.Counters)
	}
}

func TestCountersBreakingBoundsAreIgnored(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	m := h.get(w1, protocol.ActMap)
	h.s.TakeEvents()
	h.s.Done(ref(w1, m), Output{Runs: h.s.cfg.NReduce, Written: 10, Counters: &protocol.Counters{MapInputRecords: -3}}, h.now)
	if got := h.s.counters(); got.MapInputRecords != 0 {
		t.Fatalf("negative counter kept: %+v", got)
	}
	if ev := h.s.TakeEvents(); !hasEvent(ev, CountersIgnored) {
		t.Fatalf("events %+v", ev)
	}
}
