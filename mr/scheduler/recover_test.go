package scheduler

// Recovery after a restart (Restore, Offer): what the journal names is
// taken back, and nothing else.

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
	h.s.earlier([]string{"w1", "w2"})
	grace := h.now.Add(8 * time.Second)
	h.s.recoverMap(Commit{Task: 0, Attempt: 1, Worker: "w1", Written: 10}, grace)
	h.s.recoverMap(Commit{Task: 1, Attempt: 3, Worker: "w2", Written: 11}, grace)
	h.s.recoverMap(Commit{Task: 2, Attempt: 1, Worker: "w2", Written: 12}, grace)
	h.s.recoverReduce(Commit{Task: 0, Attempt: 2, Worker: "w1", Read: 5, Written: 6}, h.now)
	w3 := h.join("a:1") // w1, back under a new id
	if w3 != "w3" {
		t.Fatalf("a new registration is %s, want w3 (after the earlier ids)", w3)
	}
	for _, bad := range []struct {
		m, n int
		old  string
	}{{0, 2, "w1"}, {0, 1, "w2"}, {5, 1, "w1"}} {
		if h.s.adopt(w3, bad.m, bad.n, bad.old, h.now) {
			t.Fatalf("offer of map-%d.a%d as %s taken back", bad.m, bad.n, bad.old)
		}
	}
	if !h.s.adopt(w3, 0, 1, "w1", h.now) || h.s.adopt(w3, 0, 1, "w1", h.now) {
		t.Fatal("map-0.a1 not taken back exactly once")
	}
	if reply := h.s.Assign(w3, AskIdle, h.now); reply.Action != protocol.ActWait {
		t.Fatalf("while maps are pending, a worker got %s", reply.Action)
	}
	h.run(9*time.Second, w3) // w2 never comes back
	m1 := h.get(w3, protocol.ActMap)
	if m1.task.index != 1 || m1.n != 4 {
		t.Fatalf("after the grace, %s runs; want map-1.a4", m1.ID())
	}
	h.mapDone(w3, m1)
	h.mapDone(w3, h.get(w3, protocol.ActMap))
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
	h.s.recoverReduce(Commit{Task: 0, Attempt: 1, Worker: "w1"}, h.now)
	h.s.recoverReduce(Commit{Task: 1, Attempt: 1, Worker: "w2"}, h.now)
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
