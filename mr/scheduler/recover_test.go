// Recovery after a restart (Restore, Offer): what the journal names is
// taken back, and nothing else.

package scheduler

import (
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// After a restart, a committed map's owner offers it back and no Map runs
// again; an offer the journal does not name is refused; a map whose owner
// does not come back runs again after its grace, under a new attempt
// number; recovered reduces are done.
func TestRecoveryTakesBackOnlyWhatTheJournalNames(t *testing.T) {
	h := newHarness(t, 3, 2)
	h.s.Restore(Restart{
		Tries: []Try{{Kind: protocol.MapTask, Task: 2, N: 5}},
		Maps: []Commit{{Task: 0, Attempt: 1, Worker: "w1", Written: 10}, {Task: 1, Attempt: 3, Worker: "w2", Written: 11},
			{Task: 2, Attempt: 1, Worker: "w2", Written: 12}},
		Reduces: []Commit{{Task: 0, Attempt: 2, Worker: "w1", Read: 5, Written: 6}},
		Workers: []string{"w1", "w2"},
		Until:   h.now.Add(8 * time.Second),
	}, h.now)
	if ev := h.s.TakeEvents(); len(ev) != 1 || ev[0].Kind != TaskRecovered || ev[0].Attempt != "reduce-0.a2" {
		t.Fatalf("restored with events %v, want reduce-0.a2 recovered", ev)
	}
	w3 := h.join("a:1") // w1, back under a new id
	if w3 != "w3" {
		t.Fatalf("a new registration is %s, want w3 (after the earlier ids)", w3)
	}
	if taken := h.s.Offer(w3, "w2", []protocol.MapAttempt{{Map: 0, Attempt: 1}}, h.now); len(taken) != 0 {
		t.Fatalf("map-0.a1 offered as w2 (w1 ran it) taken back: %v", taken)
	}
	offer := []protocol.MapAttempt{{Map: 0, Attempt: 2}, {Map: 5, Attempt: 1}, {Map: 0, Attempt: 1}, {Map: 0, Attempt: 1}}
	if taken := h.s.Offer(w3, "w1", offer, h.now); len(taken) != 1 || taken[0] != (protocol.MapAttempt{Map: 0, Attempt: 1}) {
		t.Fatalf("of %v, %v taken back; want map-0.a1 exactly once", offer, taken)
	}
	if !hasEvent(h.s.TakeEvents(), MapOutputTakenBack) {
		t.Fatal("no event for the output taken back")
	}
	if reply := h.s.Assign(w3, AskIdle, h.now); reply.Action != protocol.ActWait {
		t.Fatalf("while maps are pending, a worker got %s", reply.Action)
	}
	h.run(9*time.Second, w3) // w2 never comes back
	if !hasEvent(h.s.TakeEvents(), RecoveredMapRerun) {
		t.Fatal("no event for the recovered maps run again")
	}
	m1 := h.get(w3, protocol.ActMap)
	if m1.task.index != 1 || m1.n != 4 {
		t.Fatalf("after the grace, %s runs; want map-1.a4", m1.ID())
	}
	h.mapDone(w3, m1)
	m2 := h.get(w3, protocol.ActMap)
	if m2.ID() != "map-2.a6" {
		t.Fatalf("%s runs; want map-2.a6, after the attempts the journal names", m2.ID())
	}
	h.mapDone(w3, m2)
	r := h.get(w3, protocol.ActReduce)
	if r.task.index != 1 || r.n != 1 {
		t.Fatalf("%s runs; reduce-0 was recovered", r.ID())
	}
	h.reduceDone(w3, r)
	sum := h.s.Summary(t0, h.now)
	if sum.Phase != "merge" || !sum.Tasks[0].Recovered || sum.Tasks[1].Recovered || !sum.Tasks[3].Recovered {
		t.Fatalf("summary: phase %s, tasks %+v", sum.Phase, sum.Tasks)
	}
	if w, ok := workerSummary(sum, "w2"); !ok || !w.Earlier || !w.Dead {
		t.Fatalf("w2 in the summary: %+v", w)
	}
}

// When every reduce was recovered, nothing is handed out: the maps are
// not needed, even those that were never committed.
func TestAllReducesRecoveredNeedsNoMap(t *testing.T) {
	h := newHarness(t, 2, 2)
	h.s.Restore(Restart{Reduces: []Commit{{Task: 0, Attempt: 1, Worker: "w1"}, {Task: 1, Attempt: 1, Worker: "w2"}}}, h.now)
	w := h.join("a:1")
	if reply := h.s.Assign(w, AskIdle, h.now); reply.Action != protocol.ActWait {
		t.Fatalf("got %s", reply.Action)
	}
	if h.s.Progress().Phase != "merge" {
		t.Fatalf("phase %s", h.s.Progress().Phase)
	}
}

func workerSummary(sum protocol.Summary, id string) (protocol.WorkerSummary, bool) {
	for _, w := range sum.Workers {
		if w.ID == id {
			return w, true
		}
	}
	return protocol.WorkerSummary{}, false
}
