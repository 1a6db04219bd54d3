// Tests of Locate: fetch failures, the evidence for re-running a map, and who is blamed.

package scheduler

import (
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// Locate and the evidence for re-running a committed map: one reducer's
// word, two workers' reducers, a silent owner, the owner's own reducer,
// a reducer failing alone for long.

func TestFetchFailureRerunsMapAndReducerWaits(t *testing.T) {
	h := newHarness(t, 2, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	m0, m1 := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap)
	h.mapDone(w1, m0)
	h.mapDone(w2, m1)
	r0, r1 := h.get(w2, protocol.ActReduce), h.get(w3, protocol.ActReduce)
	h.run(5*time.Second, w1, w2, w3) // every worker counts as a witness now
	// w1 still beats: one reducer's word is not enough, it fetches again.
	if rep := h.locate(w2, r0, 0, 1); !rep.Ready || rep.Source.Attempt != 1 || rep.Source.Addr != "a:1" {
		t.Fatalf("locate = %+v, want the same source again", rep)
	}
	// A second host's reducer agrees: the owner is asked, and says it has
	// lost it. Only map 0 is re-run, not all of w1's work.
	h.locate(w3, r1, 0, 1)
	h.ownerSays(w1, 0, 1, false)
	if rep := h.locate(w3, r1, 0, 0); rep.Ready || rep.Abort {
		t.Fatalf("locate = %+v, want wait", rep)
	}
	if h.s.workers[w1].dead || m0.task.state != taskIdle || h.s.phase != phaseMap {
		t.Fatalf("dead=%v state=%s phase=%s", h.s.workers[w1].dead, m0.task.state, h.s.phase)
	}
	// A further report naming the same lost attempt changes nothing.
	h.locate(w2, r0, 0, 1)
	rerun := h.get(w1, protocol.ActMap)
	if rerun.n != 2 {
		t.Fatalf("re-run is %s", rerun.ID())
	}
	// A reducer waiting for maps is not slow.
	h.run(11*time.Second, w1, w2, w3)
	for _, b := range h.s.backups {
		if b.kind == protocol.ReduceTask {
			t.Fatal("waiting reducer queued for backup")
		}
	}
	h.mapDone(w1, rerun)
	if rep := h.locate(w2, r0, 0, 0); !rep.Ready || rep.Source.Attempt != 2 {
		t.Fatalf("locate after re-run = %+v", rep)
	}
}

// ownerSays has owner id answer whether it holds map m's attempt n.
func (h *schedHarness) ownerSays(id string, m, n int, held bool) {
	v := protocol.Verified{MapAttempt: protocol.MapAttempt{Map: m, Attempt: n}, Held: held}
	h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: id, Verified: []protocol.Verified{v}}, h.now)
}

// locate is reduce attempt r's Locate for map m, as run by worker id.
func (h *schedHarness) locate(id string, r *attempt, m, failed int) protocol.LocateReply {
	return h.s.Locate(ref(id, r), m, failed, h.now)
}

func TestFetchFailureFromSilentOwnerKillsIt(t *testing.T) {
	h := newHarness(t, 2, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	r := h.get(w2, protocol.ActReduce)
	h.tick(2 * time.Second)
	h.beat(w2)
	h.s.Locate(protocol.Attempt{WorkerID: w2, Kind: protocol.ReduceTask, Task: 0, N: r.n}, 1, 1, h.now)
	if !h.s.workers[w1].dead || h.s.mapsDone != 0 {
		t.Fatalf("silent owner: dead=%v mapsDone=%d", h.s.workers[w1].dead, h.s.mapsDone)
	}
}

func TestLocateForStaleReducerAborts(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	rep := h.s.Locate(protocol.Attempt{WorkerID: w1, Kind: protocol.ReduceTask, Task: 0, N: 7}, 0, 0, h.now)
	if !rep.Abort {
		t.Fatalf("locate = %+v, want abort", rep)
	}
}

// A reducer waiting for a re-run that nobody picks up gives way, so that
// its own worker can run the map (with one worker, nobody else can).
func TestWaitingReducerGivesWayToIdleMap(t *testing.T) {
	h := newHarness(t, 1, 1)
	w1 := h.join("a:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	r := h.get(w1, protocol.ActReduce)
	locate := func(failed int) protocol.LocateReply {
		return h.s.Locate(protocol.Attempt{WorkerID: w1, Kind: protocol.ReduceTask, Task: 0, N: r.n}, 0, failed, h.now)
	}
	if rep := locate(1); rep.Ready || rep.Abort {
		t.Fatalf("first locate = %+v, want wait", rep)
	}
	h.run(time.Second, w1)
	if rep := locate(0); rep.Abort {
		t.Fatal("gave way before the map was idle for long")
	}
	h.run(1500*time.Millisecond, w1)
	if rep := locate(0); !rep.Abort || r.outcome != outcomeAbandoned {
		t.Fatalf("locate = %+v, outcome %s; want abort", rep, r.outcome)
	}
	m := h.get(w1, protocol.ActMap)
	h.mapDone(w1, m)
	if r2 := h.get(w1, protocol.ActReduce); r2.n != 2 {
		t.Fatalf("reduce re-run is %s", r2.ID())
	}
}

// evidence is a job whose two maps are done on w1, with reduce attempts
// running on w2, w3 and w1 itself.
type evidence struct {
	h           *schedHarness
	owner       string
	reporters   [3]string // w2, w3, w1
	reduces     [3]*attempt
	m0          *attempt
	silentOwner bool
}

func newEvidence(t *testing.T, silentOwner bool) *evidence {
	h := newHarness(t, 2, 3)
	e := &evidence{h: h, silentOwner: silentOwner}
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	e.owner, e.reporters = w1, [3]string{w2, w3, w1}
	e.m0 = h.get(w1, protocol.ActMap)
	h.mapDone(w1, e.m0)
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	for i, id := range e.reporters {
		e.reduces[i] = h.get(id, protocol.ActReduce)
	}
	return e
}

// report moves the clock by after (everyone beats, but a silent owner),
// then reporter i says it could not fetch map 0's committed output.
func (e *evidence) report(i int, after time.Duration) protocol.LocateReply {
	beating := e.reporters[:2]
	if !e.silentOwner {
		beating = e.reporters[:]
	}
	e.h.run(after, beating...)
	return e.h.locate(e.reporters[i], e.reduces[i], 0, e.m0.n)
}

func answer(rep protocol.LocateReply) string {
	switch {
	case rep.Abort:
		return "abort"
	case rep.Ready:
		return "retry"
	}
	return "wait"
}

func TestFetchFailureEvidence(t *testing.T) {
	type report struct {
		by    int           // 0: w2's reducer, 1: w3's, 2: the owner's own
		after time.Duration // the clock moves first
	}
	cases := []struct {
		name        string
		silentOwner bool
		reports     []report
		want        string // the last answer: retry (the same source), wait (for the re-run), abort
		rerun       bool   // map 0 goes back to idle
		dead        bool   // the owner is declared dead
		suspect     bool   // the lone reducer's attempt fails, against its worker
		fetched     bool   // w3's reducer fetched map 0's output and committed first
	}{
		{"one reducer, live owner", false, []report{{0, 0}}, "retry", false, false, false, false},
		{"one reducer, repeatedly but briefly", false, []report{{0, 0}, {0, time.Second}, {0, time.Second}, {0, time.Second}}, "retry", false, false, false, false},
		{"reducers of two hosts: ask the owner", false, []report{{0, 0}, {1, time.Second}}, "retry", false, false, false, false},
		{"the owner's own reducer", false, []report{{2, 0}}, "wait", true, false, false, false},
		{"one reducer, silent owner", true, []report{{0, 1500 * time.Millisecond}}, "wait", true, true, false, false},
		{"one reducer, briefly silent owner", true, []report{{0, 500 * time.Millisecond}}, "retry", false, false, false, false},
		{"one reducer alone for long, another fetched it", false, []report{{0, 0}, {0, 2 * time.Second}, {0, 2 * time.Second}}, "abort", false, false, true, true},
		{"one reducer alone for long, nobody fetched it: ask the owner", false, []report{{0, 0}, {0, 2 * time.Second}, {0, 2 * time.Second}}, "retry", false, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEvidence(t, c.silentOwner)
			if c.fetched {
				e.h.run(100*time.Millisecond, e.reporters[:]...)
				if !e.h.reduceDone(e.reporters[1], e.reduces[1]) {
					t.Fatal("w3's reduce not committed")
				}
			}
			var rep protocol.LocateReply
			for _, r := range c.reports {
				rep = e.report(r.by, r.after)
			}
			if got := answer(rep); got != c.want {
				t.Errorf("answer %s (%+v), want %s", got, rep, c.want)
			}
			if c.want == "retry" && (rep.Source.Attempt != e.m0.n || rep.Source.Addr != "a:1") {
				t.Errorf("retry from %+v, want the same source", rep.Source)
			}
			owner := e.h.s.workers[e.owner]
			if rerun := e.m0.task.state == taskIdle; rerun != c.rerun || owner.dead != c.dead {
				t.Errorf("map 0 re-run %v, owner dead %v; want %v, %v", rerun, owner.dead, c.rerun, c.dead)
			}
			lone := e.h.s.workers[e.reporters[0]]
			if suspect := e.reduces[0].outcome == outcomeFailed; suspect != c.suspect || (lone.failRun == 1) != c.suspect {
				t.Errorf("reducer's attempt %s, its worker's failures %d; suspect want %v", e.reduces[0].outcome, lone.failRun, c.suspect)
			}
			if e.m0.fetchErr != len(c.reports) {
				t.Errorf("%d fetch failures counted, want %d", e.m0.fetchErr, len(c.reports))
			}
			wantDrop := c.rerun && !c.dead
			if drop := e.h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: e.owner}, e.h.now).Drop; (len(drop) == 1 && drop[0] == 0) != wantDrop {
				t.Errorf("owner told to drop %v, want map 0: %v", drop, wantDrop)
			}
		})
	}
}

// A worker whose map outputs reducers keep failing to fetch is excluded,
// and its remaining outputs are re-run.
func TestRepeatedlyLostOutputsExcludeOwner(t *testing.T) {
	h := newHarness(t, 4, 2)
	w1, w2, w3 := h.join("a:1"), h.join("b:1"), h.join("c:1")
	var maps []*attempt
	for range 4 {
		a := h.get(w1, protocol.ActMap)
		h.mapDone(w1, a)
		maps = append(maps, a)
	}
	r0, r1 := h.get(w2, protocol.ActReduce), h.get(w3, protocol.ActReduce)
	h.run(5*time.Second, w1, w2, w3)
	for m := range 3 {
		h.locate(w2, r0, m, 1)
		h.locate(w3, r1, m, 1)
		h.ownerSays(w1, m, 1, false)
	}
	owner := h.s.workers[w1]
	if owner.excluded == "" || !strings.Contains(owner.excluded, "could not fetch 3 of its map outputs") {
		t.Fatalf("owner excluded %q", owner.excluded)
	}
	if maps[3].task.state != taskIdle || h.s.mapsDone != 0 {
		t.Fatalf("the excluded owner's last output: %s, %d maps done", maps[3].task.state, h.s.mapsDone)
	}
	reply := h.s.Assign(w1, AskIdle, h.now)
	if reply.Action != protocol.ActExit || !strings.Contains(reply.Reason, "w1 is excluded from the job: reducers could not fetch") {
		t.Fatalf("excluded owner told %s %q", reply.Action, reply.Reason)
	}
}

// A reducer's own failure fails its attempt against its worker: no map is
// re-run for it.
func TestReducerFailureRerunsNoMap(t *testing.T) {
	h := newHarness(t, 2, 1)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	h.mapDone(w1, h.get(w1, protocol.ActMap))
	r := h.get(w2, protocol.ActReduce)
	h.s.Failed(ref(w2, r), protocol.FailWorker, "open reduce-0.a1/mr-0-0: no space left on device", h.now)
	if h.s.mapsDone != 2 || r.task.state != taskIdle || h.s.workers[w2].failRun != 1 || r.task.failures != 0 {
		t.Fatalf("maps done %d, reduce %s, worker failures %d, task failures %d",
			h.s.mapsDone, r.task.state, h.s.workers[w2].failRun, r.task.failures)
	}
}

// Reducers on two hosts cannot fetch an output: its owner is asked, and
// its word decides. Missing: the map re-runs and the owner is charged.
// Held: fetch again; if they still cannot for twice the heartbeat
// timeout, the map re-runs elsewhere and the owner is not charged.
// Silence counts as held.
func TestOwnerVouchesForItsOutput(t *testing.T) {
	for _, tt := range []struct {
		name    string
		answer  string // "held", "missing" or "" (no answer)
		wait    time.Duration
		rerun   bool
		charged bool
	}{
		{"missing", "missing", 0, true, true},
		{"held", "held", 0, false, false},
		{"held, but unreachable for long", "held", 9 * time.Second, true, false},
		{"no answer for long", "", 9 * time.Second, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEvidence(t, false)
			e.report(0, 5*time.Second)
			e.report(1, 0)
			verify := e.h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: e.owner}, e.h.now).Verify
			if len(verify) != 1 || verify[0] != (protocol.MapAttempt{Map: 0, Attempt: e.m0.n}) {
				t.Fatalf("the owner is asked to verify %v", verify)
			}
			if tt.answer != "" {
				v := protocol.Verified{MapAttempt: verify[0], Held: tt.answer == "held"}
				e.h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: e.owner, Verified: []protocol.Verified{v}}, e.h.now)
			}
			e.report(1, tt.wait)
			owner := e.h.s.workers[e.owner]
			if rerun := e.m0.task.state == taskIdle; rerun != tt.rerun || (owner.lost == 1) != tt.charged || owner.dead {
				t.Fatalf("re-run %v, owner lost %d, dead %v; want re-run %v, charged %v", rerun, owner.lost, owner.dead, tt.rerun, tt.charged)
			}
		})
	}
}

// One host registered many times is one witness, and a worker that just
// joined and won nothing is none: neither gets an owner asked, let alone
// charged.
func TestEvidenceCountsHostsNotRegistrations(t *testing.T) {
	h := newHarness(t, 1, 4)
	owner := h.join("a:1")
	m := h.get(owner, protocol.ActMap)
	h.mapDone(owner, m)
	h.run(5*time.Second, owner)
	var reducers []*attempt
	var ids []string
	for _, addr := range []string{"b:1", "b:2", "b:3"} { // one host, old enough
		ids = append(ids, h.join(addr))
	}
	h.run(5*time.Second, append(ids, owner)...)
	ids = append(ids, h.join("c:1")) // another host, but brand new
	for _, id := range ids {
		reducers = append(reducers, h.get(id, protocol.ActReduce))
	}
	for i, id := range ids {
		h.locate(id, reducers[i], 0, m.n)
	}
	if v := h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: owner}, h.now).Verify; len(v) != 0 || m.task.state != taskDone {
		t.Fatalf("owner asked %v, map state %s", v, m.task.state)
	}
}

// Evidence counts the host a worker's connection came from, not the
// address it advertises: one peer registered twice, advertising two
// hosts, is one witness, and its owner is not asked; a second host's
// word then is enough.
func TestEvidenceCountsConnectionsNotAdvertisedHosts(t *testing.T) {
	h := newHarness(t, 1, 3)
	owner := h.joinFrom("a:1", "10.0.0.1")
	m := h.get(owner, protocol.ActMap)
	h.mapDone(owner, m)
	ids := []string{h.joinFrom("b:1", "10.0.0.2"),
		h.joinFrom("c:1", "10.0.0.2"), // the same peer, advertising another host
		h.joinFrom("d:1", "10.0.0.3")}
	h.run(5*time.Second, append(ids, owner)...)
	var reducers []*attempt
	for _, id := range ids {
		reducers = append(reducers, h.get(id, protocol.ActReduce))
	}
	for i, id := range ids[:2] {
		h.locate(id, reducers[i], 0, m.n)
	}
	if v := h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: owner}, h.now).Verify; len(v) != 0 {
		t.Fatalf("one peer advertising two hosts got the owner asked: %v", v)
	}
	h.locate(ids[2], reducers[2], 0, m.n)
	if v := h.s.Heartbeat(protocol.HeartbeatArgs{WorkerID: owner}, h.now).Verify; len(v) != 1 {
		t.Fatalf("reducers of two hosts: owner asked %v, want map 0", v)
	}
}
