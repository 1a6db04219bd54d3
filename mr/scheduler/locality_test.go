// Locality: local tasks first, the cluster never idle for it, holders
// spread, and a manifest job waiting for (or failing without) a holder.

package scheduler

import (
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// newLocalHarness is a job of n map tasks, map-i reading input in-i.txt
// alone; noCopy makes it a manifest job.
func newLocalHarness(t *testing.T, n int, noCopy bool) *schedHarness {
	h := newHarness(t, n, 2)
	cfg := h.s.cfg
	cfg.InputNames, cfg.MapHome, cfg.MapReads = cfg.MapInputs, make([]int, n), make([][]int, n)
	for i := range n {
		cfg.MapHome[i], cfg.MapReads[i] = i, []int{i}
	}
	cfg.NoCopy, cfg.HolderWait = noCopy, 30*time.Second
	h.s = New(cfg)
	return h
}

func TestLocalityTable(t *testing.T) {
	cases := []struct {
		name  string
		holds map[string][]int // by worker address
		order []string         // who asks, in turn
		want  []int            // the map task each gets; -1 a wait
	}{
		{"holder gets its own input before older tasks", map[string][]int{"a:1": {2, 3}},
			[]string{"b:1", "a:1", "a:1"}, []int{0, 2, 3}},
		{"no local work: the oldest idle task, not a wait", map[string][]int{"a:1": {0}},
			[]string{"a:1", "a:1", "a:1"}, []int{0, 1, 2}},
		{"every input everywhere: each takes the oldest", map[string][]int{"a:1": {0, 1, 2, 3}, "b:1": {0, 1, 2, 3}},
			[]string{"a:1", "b:1", "a:1", "b:1"}, []int{0, 1, 2, 3}},
		{"spread: each takes what it holds first", map[string][]int{"a:1": {1, 3}, "b:1": {0, 2}},
			[]string{"a:1", "b:1", "a:1", "b:1"}, []int{1, 0, 3, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newLocalHarness(t, 4, false)
			ids := map[string]string{}
			for _, addr := range []string{"a:1", "b:1"} {
				ids[addr] = h.join(addr)
				h.s.Hold(ids[addr], Holding{Inputs: c.holds[addr], First: true, Commit: true}, h.now)
			}
			for k, addr := range c.order {
				reply := h.s.Assign(ids[addr], AskIdle, h.now)
				got := reply.Task
				if reply.Action != protocol.ActMap {
					got = -1
				}
				if got != c.want[k] {
					t.Fatalf("ask %d by %s: map-%d (%s), want map-%d", k, addr, got, reply.Action, c.want[k])
				}
				if got >= 0 {
					h.mapDone(ids[addr], last(h.s.maps[got].history))
				}
			}
		})
	}
}

// A map task that goes back to idle (its attempt failed) goes back to
// its holder's queue too.
func TestLocalityRequeuedTaskStaysLocal(t *testing.T) {
	h := newLocalHarness(t, 4, false)
	a, b := h.join("a:1"), h.join("b:1")
	h.s.Hold(b, Holding{Inputs: []int{3}, First: true, Commit: true}, h.now)
	at := h.get(b, protocol.ActMap)
	if at.task.index != 3 {
		t.Fatalf("holder got map-%d", at.task.index)
	}
	h.s.Failed(ref(b, at), protocol.FailWorker, "disk", h.now)
	h.get(a, protocol.ActMap) // map-0
	if again := h.get(b, protocol.ActMap); again.task.index != 3 {
		t.Fatalf("after its failure the holder got map-%d, want map-3 again", again.task.index)
	}
}

func TestHoldersSkipDeadAndSelf(t *testing.T) {
	h := newLocalHarness(t, 2, false)
	a, b, c := h.join("a:1"), h.join("b:1"), h.join("c:1")
	for _, id := range []string{a, b, c} {
		h.s.Hold(id, Holding{Inputs: []int{0}, First: true, Commit: true}, h.now)
	}
	h.s.Leave(c, "test", h.now)
	for range 3 {
		got := h.s.Holders(0, a, 3)
		if len(got) != 1 || got[0] != "b:1" {
			t.Fatalf("holders of in-0 for a: %v, want [b:1]", got)
		}
	}
	h.s.Hold(b, Holding{Differs: []int{0}}, h.now) // b's copy of in-0 differs: it says so first
	if ws := h.s.Summary(t0, h.now).Workers; ws[1].ID != b || len(ws[1].Differ) != 1 || ws[1].Differ[0] != "in-0.txt" {
		t.Fatalf("b's differing copy not named: %+v", ws[1])
	}
	if got := h.s.Holders(0, a, 3); len(got) != 1 {
		t.Fatalf("holders before b withdrew: %v", got)
	}
	h.s.Hold(b, Holding{Inputs: []int{1}, First: true, Commit: true}, h.now) // then lists what it holds
	if got := h.s.Holders(0, a, 3); len(got) != 0 {
		t.Fatalf("holders after b withdrew: %v", got)
	}
}

// A manifest job hands a task only to a worker that can read it; an
// input nobody holds is waited for, then fails the job in one line that
// names it and the wait.
func TestManifestJobWaitsForHolder(t *testing.T) {
	h := newLocalHarness(t, 2, true)
	a := h.join("a:1")
	h.s.Hold(a, Holding{Inputs: []int{0}, First: true, Commit: true}, h.now)
	h.mapDone(a, h.get(a, protocol.ActMap)) // map-0, its own
	h.get(a, protocol.ActWait)              // map-1: nobody holds in-1.txt
	h.run(20*time.Second, a)                // within the wait
	if _, failed := h.s.Job().Failure, h.s.Job().Failed; failed {
		t.Fatal("failed before the wait was over")
	}
	h.run(11*time.Second, a)
	why, failed := h.s.Job().Failure, h.s.Job().Failed
	if !failed || !strings.Contains(why, "in-1.txt") || !strings.Contains(why, "30s") || strings.Contains(why, "in-0.txt") {
		t.Fatalf("failure = %q, %v", why, failed)
	}
}

func TestManifestJobHolderArrives(t *testing.T) {
	h := newLocalHarness(t, 2, true)
	a := h.join("a:1")
	h.s.Hold(a, Holding{Inputs: []int{0}, First: true, Commit: true}, h.now)
	h.mapDone(a, h.get(a, protocol.ActMap))
	h.run(20*time.Second, a)
	b := h.join("b:1")
	h.s.Hold(b, Holding{Inputs: []int{1}, First: true, Commit: true}, h.now)
	if got := h.get(a, protocol.ActMap); got.task.index != 1 { // read from b, a peer
		t.Fatalf("got map-%d", got.task.index)
	}
	if hs := h.s.Holders(1, a, 3); len(hs) != 1 || hs[0] != "b:1" {
		t.Fatalf("holders %v", hs)
	}
	h.run(20*time.Second, a, b)
	if why, failed := h.s.Job().Failure, h.s.Job().Failed; failed {
		t.Fatalf("failed: %s", why)
	}
}
