package mr

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// report completes attempt a as the coordinator's handlers do: the report,
// then its counters if it was accepted. Every attempt counts one input
// record and one "seen" of the app's, so the totals say how many ran.
func (h *schedHarness) report(id string, a *attempt) bool {
	c := &protocol.Counters{MapInputRecords: 1, ReduceInputGroups: 1, User: map[string]int64{"seen": 1}}
	var ok bool
	if a.task.kind == protocol.MapTask {
		ok = h.mapDone(id, a)
	} else {
		ok = h.reduceDone(id, a)
	}
	if ok {
		h.s.recordCounters(ref(id, a), c)
	}
	return ok
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
	h.s.failed(ref(w1, m0), protocol.FailApp, "app: Map panicked", h.now)
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
	h.s.recordCounters(ref(w2, m1), &protocol.Counters{MapInputRecords: 100})

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
	if sum := h.s.summary(t0, h.now); sum.Counters.User["seen"] != 5 {
		t.Fatalf("summary counters = %+v", sum.Counters)
	}
}

func TestCountersBreakingBoundsAreIgnored(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	m := h.get(w1, protocol.ActMap)
	h.mapDone(w1, m)
	h.s.takeEvents()
	h.s.recordCounters(ref(w1, m), &protocol.Counters{MapInputRecords: -3})
	if got := h.s.counters(); got.MapInputRecords != 0 {
		t.Fatalf("negative counter kept: %+v", got)
	}
	if ev := h.s.takeEvents(); len(ev) != 1 || ev[0].msg != "counters ignored" {
		t.Fatalf("events %+v", ev)
	}
}

func TestUserCounterBelongsToTheRunningAttempt(t *testing.T) {
	lines := Counter("bad lines")
	lines.Add(7) // no attempt: nothing
	u := beginCounters()
	lines.Add(1)
	Counter("bad lines").Add(2)
	for i := range protocol.MaxUserCounters + 3 {
		Counter(fmt.Sprint("n", i)).Add(1)
	}
	var c protocol.Counters
	if dropped := u.end(&c); dropped != 4 {
		t.Fatalf("%d adds dropped, want 4", dropped)
	}
	lines.Add(5) // after the attempt: nothing, and no panic
	if c.User["bad lines"] != 3 || len(c.User) != protocol.MaxUserCounters || c.Check() != nil {
		t.Fatalf("user counters = %v", c.User)
	}
	if runningCounters.Load() != nil {
		t.Fatal("counters still running after end")
	}
}

func TestCounterNamesFitTheWire(t *testing.T) {
	long := strings.Repeat("é", protocol.MaxCounterName) // 2 bytes each
	tests := map[string]string{"": "?", "ok": "ok", "a\xffb": "a?b", long: long[:protocol.MaxCounterName]}
	for in, want := range tests {
		if got := Counter(in).name; got != want {
			t.Errorf("Counter(%.20q).name = %.20q, want %.20q", in, got, want)
		}
	}
}

func TestMapSideCounters(t *testing.T) {
	var kvs []KeyValue
	for i := range 5000 {
		kvs = append(kvs, KeyValue{fmt.Sprint("k", i%50), "1"})
	}
	sum := func(k string, vs []string) []string { return []string{fmt.Sprint(len(vs))} } // wrong sum, right count
	dir := t.TempDir()
	o := newMapOutput(3, 2<<10, sum, spillPath(dir, 0, 1))
	for _, kv := range kvs {
		o.emit(kv.Key, kv.Value)
	}
	runs, err := o.finish(filepath.Join(dir, "final"))
	if err != nil {
		t.Fatal(err)
	}
	var c protocol.Counters
	o.count(&c, runs)
	if c.MapOutputRecords != 5000 || c.CombinedAway != 5000-50 || c.SpilledRecords == 0 || c.MapOutputBytes == 0 {
		t.Fatalf("counters %+v after %d spills", c, o.spills)
	}
	if countLines("a\nb\nc") != 3 || countLines("a\n") != 1 || countLines("") != 0 {
		t.Fatal("countLines")
	}
}
