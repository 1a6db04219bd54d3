// Tests of backup attempts: when a slow attempt gets a backup, and which progress counts.

package scheduler

import (
	"math"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// End-of-phase backups (LATE), repeated reports and drop lists.

// lateJob: map-0 won in 1 s (the typical map), maps 1 and 2 running on
// w2 and w3 since t0, map-3 on w1 since t0+1s; w4 is free and nothing is
// idle. Without firstDone, map-0 still runs on w1, map-3 runs on w4 and
// w5 is free. Each heartbeat reports progress[i] for map i (0: none).
type lateJob struct {
	h     *schedHarness
	ids   []string
	maps  []*attempt // by map task
	asker string     // the free worker
}

func newLateJob(t *testing.T, firstDone bool) *lateJob {
	h := newHarness(t, 4, 1)
	j := &lateJob{h: h, maps: make([]*attempt, 4)}
	for _, addr := range []string{"a:1", "b:1", "c:1", "d:1"} {
		j.ids = append(j.ids, h.join(addr))
	}
	for i := 0; i < 3; i++ {
		j.maps[i] = h.get(j.ids[i], protocol.ActMap)
	}
	h.run(time.Second, j.ids...)
	if firstDone {
		h.mapDone(j.ids[0], j.maps[0])
		j.maps[3], j.asker = h.get(j.ids[0], protocol.ActMap), j.ids[3]
	} else {
		j.maps[3], j.asker = h.get(j.ids[3], protocol.ActMap), h.join("e:1")
		j.ids = append(j.ids, j.asker)
	}
	return j
}

// at moves the clock to t0+d, every worker beating with its progress:
// rising at a steady rate to progress[i] at t0+d, or flat at it.
func (j *lateJob) at(d time.Duration, progress [4]float64, flat bool) {
	end := t0.Add(d)
	for j.h.now.Before(end) {
		j.h.tick(500 * time.Millisecond)
		for _, id := range j.ids {
			hb := protocol.HeartbeatArgs{WorkerID: id}
			if a := j.h.s.workers[id].current; a != nil && a.outcome == outcomeRunning {
				hb.Attempt, hb.Progress = ref(id, a), progress[a.task.index]
				if !flat {
					hb.Progress *= float64(j.h.now.Sub(a.start)) / float64(end.Sub(a.start))
				}
			}
			j.h.s.Heartbeat(hb, j.h.now)
		}
	}
}

func TestLateBackupOfAttemptExpectedToFinishLast(t *testing.T) {
	cases := []struct {
		name      string
		firstDone bool
		at        time.Duration
		progress  [4]float64 // per map task at the end; 0 unknown
		flat      bool       // progress does not move: counts as unknown
		want      int        // the map backed up; -1 none
	}{
		{"no progress: the oldest, lowest first", true, 6 * time.Second, [4]float64{}, false, 1},
		{"the slowest rate", true, 6 * time.Second, [4]float64{0, 0.9, 0.2, 0}, false, 2},
		{"unknown progress against near-done ones", true, 6 * time.Second, [4]float64{0, 0.9, 0.95, 0}, false, 3},
		{"all near done", true, 6 * time.Second, [4]float64{0, 0.9, 0.9, 0.9}, false, -1},
		{"progress past the end", true, 6 * time.Second, [4]float64{0, 1, 1, 1}, false, -1},
		{"too young", true, 4500 * time.Millisecond, [4]float64{}, false, -1},
		{"old enough", true, 5 * time.Second, [4]float64{}, false, 1},
		{"nothing typical yet", false, 6 * time.Second, [4]float64{}, false, -1},
		{"flat progress counts as unknown", true, 6 * time.Second, [4]float64{0, 0.9, 0.2, 0}, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := newLateJob(t, c.firstDone)
			j.at(c.at, c.progress, c.flat)
			reply := j.h.s.Assign(j.asker, AskIdle, j.h.now)
			got := -1
			if reply.Action == protocol.ActMap {
				got = reply.Task
			}
			if got != c.want {
				t.Fatalf("backed up map %d (%s), want %d", got, reply.Action, c.want)
			}
			if got >= 0 && (reply.Attempt != 2 || !j.maps[got].backedUp) {
				t.Fatalf("backup is attempt %d", reply.Attempt)
			}
		})
	}
}

func TestProgressOnlyOfTheCurrentAttempt(t *testing.T) {
	j := newLateJob(t, true)
	a, id := j.maps[1], j.ids[1]
	cases := []struct {
		ref      protocol.Attempt
		progress float64
		want     float64
	}{
		{protocol.Attempt{Kind: protocol.MapTask, Task: 1, N: 2}, 0.5, 0},
		{protocol.Attempt{Kind: protocol.MapTask, Task: 2, N: 1}, 0.5, 0},
		{protocol.Attempt{Kind: protocol.ReduceTask, Task: 1, N: 1}, 0.5, 0},
		{ref(id, a), math.NaN(), 0},
		{ref(id, a), 1.5, 0},
		{ref(id, a), -1, 0},
		{ref(id, a), 0.5, 0.5},
		{ref(id, a), 0, 0.5}, // unknown now: the last known stays
	}
	for _, c := range cases {
		j.h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: id, Attempt: c.ref, Progress: c.progress}, j.h.now)
		if a.frac != c.want {
			t.Errorf("progress %v of %+v: recorded %v, want %v", c.progress, c.ref, a.frac, c.want)
		}
	}
}

func TestLateBackupOncePerAttempt(t *testing.T) {
	j := newLateJob(t, true)
	j.at(6*time.Second, [4]float64{}, false)
	h := j.h
	b1 := h.get(j.ids[3], protocol.ActMap)
	w5 := h.join("e:1")
	b2 := h.get(w5, protocol.ActMap)
	if b1.task.index != 1 || b2.task.index != 2 {
		t.Fatalf("backups of %s and %s, want maps 1 and 2", b1.ID(), b2.ID())
	}
	// map-1's backup fails: map-1.a1 got its one backup, map-3 is next.
	h.fail(j.ids[3], b1, protocol.FailWorker, "disk")
	if b3 := h.get(j.ids[3], protocol.ActMap); b3.task.index != 3 {
		t.Fatalf("next backup %s, want of map-3", b3.ID())
	}
	w6 := h.join("f:1")
	h.get(w6, protocol.ActWait)
}

func TestRepeatedReportOfWinnerAccepted(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	h.run(11*time.Second, w1, w2)
	b := h.get(w2, protocol.ActMap) // a backup
	if !h.mapDone(w1, a) || !h.mapDone(w1, a) {
		t.Fatal("the winner's report, sent again, refused")
	}
	if h.s.mapsDone != 1 || a.task.winner != a {
		t.Fatalf("%d maps done, winner %v", h.s.mapsDone, a.task.winner)
	}
	if h.s.Done(ref(w1, a), Output{Runs: h.s.cfg.NReduce, Written: 999}, h.now) {
		t.Fatal("the winner's report of another output accepted")
	}
	if h.mapDone(w2, b) || h.mapDone(w1, b) {
		t.Fatal("the loser's report accepted")
	}
	if !h.s.won(ref(w1, a)) || h.s.won(ref(w2, b)) || h.s.won(ref(w2, a)) {
		t.Fatal("won() is wrong")
	}
	r := h.get(w2, protocol.ActReduce)
	h.reduceDone(w2, r)
	if !h.s.won(ref(w2, r)) || h.reduceDone(w2, r) {
		t.Fatal("a reduce winner is not known as such, or commits twice")
	}
}

func TestDropListsOutputsNobodyNeeds(t *testing.T) {
	h := newHarness(t, 2, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	m0 := h.get(w1, protocol.ActMap)
	h.mapDone(w1, m0)
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	r0, r1 := h.get(w2, protocol.ActReduce), h.get(w3, protocol.ActReduce)
	drops := func() []int { return h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w1}, h.now).Drop }
	h.run(5*time.Second, w1, w2, w3)
	// Reducers on two hosts fail, the owner says it lost map 0: the
	// answer to its word tells it to drop it.
	h.locate(w2, r0, 0, 1)
	h.locate(w3, r1, 0, 1)
	v := protocol.Verified{MapAttempt: protocol.MapAttempt{Map: 0, Attempt: 1}}
	if d := h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: w1, Verified: []protocol.Verified{v}}, h.now).Drop; len(d) != 1 || d[0] != 0 {
		t.Fatalf("drop %v, want [0]", d)
	}
	if d := drops(); len(d) != 0 {
		t.Fatalf("drop %v given twice", d)
	}
	// The re-run lands on w1 again: a drop of map 0 queued while it runs
	// and while w1 holds its new output waits, so that the new output is
	// never deleted.
	m0b := h.get(w1, protocol.ActMap)
	h.s.dropLater(h.s.workers[w1], 0)
	if d := drops(); len(d) != 0 {
		t.Fatalf("drop %v while map 0 runs on w1", d)
	}
	h.mapDone(w1, m0b)
	if d := drops(); len(d) != 0 {
		t.Fatalf("drop %v while w1 holds map 0's output", d)
	}
}
