package scheduler

import (
	"slices"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// newAbsorbJob is a job of nMap map tasks of 64 units each that absorbs
// up to limit units per task.
func newAbsorbJob(t *testing.T, nMap, nReduce int, limit int64) *schedHarness {
	h := newHarness(t, nMap, nReduce)
	cfg := h.s.cfg
	cfg.MapSizes = make([]int64, nMap)
	for i := range cfg.MapSizes {
		cfg.MapSizes[i] = 64
	}
	cfg.AbsorbBytes, cfg.AbsorbMin = limit, 64
	h.s = New(cfg)
	return h
}

// newHeldAbsorbJob is newAbsorbJob's job of 4 map tasks, each its own
// input, as the workers' copies of the inputs make it: each task's home
// is its input.
func newHeldAbsorbJob(t *testing.T) *schedHarness {
	h := newAbsorbJob(t, 4, 1, 1<<20)
	cfg := h.s.cfg
	cfg.InputNames, cfg.MapHome, cfg.MapReads = cfg.MapInputs, []int{0, 1, 2, 3}, [][]int{{0}, {1}, {2}, {3}}
	h.s = New(cfg)
	return h
}

// extend asks for attempt a's next part: the part's task, or -1.
func (h *schedHarness) extend(id string, a *attempt) int {
	h.t.Helper()
	part, ok := h.s.Extend(ref(id, a), a.parts, h.now)
	if !ok {
		h.t.Fatalf("Extend(%s) refused", a.ID())
	}
	return part
}

func TestAbsorbedTasksAreMappedByEveryAttemptOfTheirTask(t *testing.T) {
	h := newAbsorbJob(t, 4, 2, 128)
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0 := h.get(w1, protocol.ActMap)
	m2 := h.get(w2, protocol.ActMap)
	if m0.task.index != 0 || m2.task.index != 2 {
		t.Fatalf("the first attempts are %s and %s, want map-0 and map-2: each leaves the other room to absorb", m0.ID(), m2.ID())
	}
	if r := h.s.Assign(w1, AskAfterRepeat, h.now); !r.Extend {
		t.Fatal("an absorbing job's map assignment does not say Extend")
	}
	if p := h.extend(w1, m0); p != 1 {
		t.Fatalf("w1 absorbed map-%d, want map-1", p)
	}
	if p := h.extend(w1, m0); p != -1 {
		t.Fatalf("w1's task grew past 128 bytes: absorbed map-%d", p)
	}
	if p := h.extend(w2, m2); p != 3 {
		t.Fatalf("w2 absorbed map-%d, want map-3", p)
	}
	if !h.s.PartRunning(protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: 1, N: m0.n}) ||
		h.s.PartRunning(protocol.Attempt{WorkerID: w2, Kind: protocol.MapTask, Task: 1, N: m2.n}) ||
		h.s.PartRunning(protocol.Attempt{WorkerID: w1, Kind: protocol.MapTask, Task: 3, N: m0.n}) {
		t.Fatal("a part's input is served to the wrong attempt")
	}
	if h.s.phase != phaseMap || h.s.mapsDone != 2 {
		t.Fatalf("phase %s, %d maps done, with two absorbed and none committed", h.s.phase, h.s.mapsDone)
	}
	if !h.mapDone(w1, m0) {
		t.Fatal("the report of an attempt that mapped every part refused")
	}
	again := h.get(w2, protocol.ActMap) // w2 gives its attempt up, and gets map-2 again
	if again.task != m2.task || h.s.maps[3].state != taskDone {
		t.Fatalf("w2 got %s, map-3 is %s", again.ID(), h.s.maps[3].state)
	}
	if h.mapDone(w2, again) {
		t.Fatal("an attempt that did not map its absorbed task committed")
	}
	again = h.get(w2, protocol.ActMap)
	if p := h.extend(w2, again); p != 3 {
		t.Fatalf("map-2's next attempt was handed map-%d, want its part map-3", p)
	}
	if p := h.extend(w2, again); p != -1 {
		t.Fatalf("map-2 absorbed map-%d past the last task", p)
	}
	if !h.mapDone(w2, again) || h.s.phase != phaseReduce {
		t.Fatalf("phase %s after every map task is in", h.s.phase)
	}
	src := h.s.Sources()
	if !slices.Equal(src.Absorbed, []int{1, 3}) {
		t.Fatalf("Sources says %v absorbed, want [1 3]", src.Absorbed)
	}
	r := h.get(w2, protocol.ActReduce)
	if loc := h.s.Locate(ref(w2, r), 3, 0, h.now); !loc.Ready || !loc.Source.Absorbed {
		t.Fatalf("Locate(map-3) = %+v, want its empty output", loc)
	}
}

// A task absorbs only the task right after its last, so that each key's
// values keep the inputs' order, and only one that never committed: a
// reducer may have fetched that one's output.
func TestOnlyTheNextNeverCommittedTaskIsAbsorbed(t *testing.T) {
	h := newAbsorbJob(t, 3, 1, 1<<20)
	w1, w2 := h.join("a:1"), h.join("b:1")
	m0 := h.get(w1, protocol.ActMap)
	m2 := h.get(w2, protocol.ActMap)
	if !h.mapDone(w2, m2) {
		t.Fatal("map-2 refused")
	}
	h.run(5*time.Second, w1) // w2 dies: map-2 is redone
	if !h.s.workers[w2].dead || m2.task.state != taskIdle {
		t.Fatalf("w2 dead %v, map-2 %s", h.s.workers[w2].dead, m2.task.state)
	}
	if p := h.extend(w1, m0); p != 1 {
		t.Fatalf("map-0 absorbed map-%d, want map-1", p)
	}
	if p := h.extend(w1, m0); p != -1 {
		t.Fatalf("map-0 absorbed map-%d, which had committed", p)
	}
	if !h.mapDone(w1, m0) {
		t.Fatal("map-0 refused")
	}
	redo := h.get(w1, protocol.ActMap)
	if redo.task != m2.task || h.extend(w1, redo) != -1 || !h.mapDone(w1, redo) {
		t.Fatal("map-2's re-run did not run alone")
	}
}

func TestABackupMapsTheAbsorbedTasksToo(t *testing.T) {
	h := newAbsorbJob(t, 3, 1, 1<<20)
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	m2 := h.get(w2, protocol.ActMap)
	if p := h.extend(w1, a); p != 1 {
		t.Fatalf("absorbed map-%d, want map-1", p)
	}
	if !h.mapDone(w2, m2) {
		t.Fatal("map-2 refused")
	}
	h.run(11*time.Second, w1, w2) // a runs past the task timeout: it gets a backup
	b := h.get(w2, protocol.ActMap)
	if b.task != a.task {
		t.Fatalf("w2 got %s, want a backup of map-0", b.ID())
	}
	if p := h.extend(w2, b); p != 1 {
		t.Fatalf("the backup was handed map-%d, want map-1", p)
	}
	if p := h.extend(w2, b); p != -1 {
		t.Fatalf("the backup absorbed map-%d, which committed", p)
	}
	if !h.mapDone(w2, b) || h.mapDone(w1, a) {
		t.Fatal("the backup did not win alone")
	}
}

// Eight fresh tasks and two workers: each takes a task that leaves both
// room to absorb, and the job ends in two outputs.
func TestWorkersSpreadOverFreshTasks(t *testing.T) {
	h := newAbsorbJob(t, 8, 1, 1<<20)
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	b := h.get(w2, protocol.ActMap)
	if a.task.index != 0 || b.task.index != 4 {
		t.Fatalf("first attempts %s and %s, want map-0 and map-4", a.ID(), b.ID())
	}
	for _, x := range []struct {
		id   string
		a    *attempt
		want []int
	}{{w1, a, []int{1, 2, 3}}, {w2, b, []int{5, 6, 7}}} {
		var got []int
		for p := h.extend(x.id, x.a); p >= 0; p = h.extend(x.id, x.a) {
			got = append(got, p)
		}
		if !slices.Equal(got, x.want) || !h.mapDone(x.id, x.a) {
			t.Fatalf("%s absorbed %v, want %v", x.a.ID(), got, x.want)
		}
	}
	if h.s.phase != phaseReduce {
		t.Fatalf("phase %s", h.s.phase)
	}
}

// Tasks under AbsorbMin neither absorb nor are absorbed, and new attempts
// start in the queue's order.
func TestSmallTasksAreNotAbsorbed(t *testing.T) {
	h := newHarness(t, 4, 1)
	cfg := h.s.cfg
	cfg.MapSizes, cfg.AbsorbBytes, cfg.AbsorbMin = []int64{64, 63, 64, 64}, 1<<20, 64
	h.s = New(cfg)
	if h.s.extends(h.s.maps[0]) || !h.s.extends(h.s.maps[2]) || h.s.extends(h.s.maps[3]) {
		t.Fatal("Extend is said to a task that cannot absorb the next, or not to one that can")
	}
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	b := h.get(w2, protocol.ActMap) // map-0 cannot absorb map-1: nothing to spread
	if a.task.index != 0 || b.task.index != 1 {
		t.Fatalf("first attempts %s and %s, want map-0 and map-1", a.ID(), b.ID())
	}
	if p := h.extend(w1, a); p != -1 || !h.mapDone(w1, a) {
		t.Fatalf("map-0 absorbed map-%d, of 63 bytes", p)
	}
	if p := h.extend(w2, b); p != -1 {
		t.Fatalf("map-1, of 63 bytes, absorbed map-%d", p)
	}
	c := h.get(w1, protocol.ActMap)
	if p := h.extend(w1, c); c.task.index != 2 || p != 3 {
		t.Fatalf("%s absorbed map-%d, want map-2 absorbing map-3", c.ID(), p)
	}
	cfg.MapSizes = []int64{63, 64, 63, 64}
	h.s = New(cfg)
	w1, w2 = h.join("a:1"), h.join("b:1")
	if a, b := h.get(w1, protocol.ActMap), h.get(w2, protocol.ActMap); a.task.index != 0 || b.task.index != 1 {
		t.Fatalf("first attempts %s and %s in a job that absorbs nothing, want map-0 and map-1", a.ID(), b.ID())
	}
}

// A worker that asks for the same part again and again (a reply lost,
// or a worker stalling on purpose) does not put off its attempt's task
// timeout: only mapping every part handed to it does.
func TestRepeatedExtendDoesNotPutOffTheTimeout(t *testing.T) {
	h := newAbsorbJob(t, 3, 1, 1<<20)
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	if p := h.extend(w1, a); p != 1 {
		t.Fatalf("absorbed map-%d, want map-1", p)
	}
	h.run(time.Second, w1, w2)
	h.get(w2, protocol.ActMap) // map-2, running on, slow after map-0: no map wins, so only the timeout gives backups
	w3 := h.join("c:1")
	for range 22 { // 11 s, asking for map-1 again every half second
		h.run(500*time.Millisecond, w1, w2, w3)
		if p, ok := h.s.Extend(ref(w1, a), 0, h.now); !ok || p != 1 {
			t.Fatalf("asked again, Extend = map-%d, %v; want map-1 again", p, ok)
		}
	}
	if b := h.get(w3, protocol.ActMap); b.task != a.task {
		t.Fatalf("w3 got %s, want a backup of map-0, past its timeout", b.ID())
	}
}

// With copies of the inputs on the workers, a task absorbs the next one
// only if no other live worker holds that one's input while its own
// worker does not: a holder maps it from its own disk.
func TestAbsorbingLeavesATaskToItsHolder(t *testing.T) {
	h := newHeldAbsorbJob(t)
	w1, w2 := h.join("a:1"), h.join("b:1")
	h.s.Hold(w1, Holding{Inputs: []int{0}, First: true, Commit: true}, h.now)
	a := h.get(w1, protocol.ActMap)
	b := h.get(w2, protocol.ActMap)
	if a.task.index != 0 || b.task.index != 2 {
		t.Fatalf("first attempts %s and %s, want map-0 (local) and map-2 (spread)", a.ID(), b.ID())
	}
	h.s.Hold(w2, Holding{Inputs: []int{1}, First: true, Commit: true}, h.now)
	if p := h.extend(w1, a); p != -1 {
		t.Fatalf("w1 absorbed map-%d, whose input w2 holds and w1 does not", p)
	}
	if p := h.extend(w2, b); p != 3 {
		t.Fatalf("w2 absorbed map-%d, want map-3, whose input nobody holds", p)
	}
	if !h.mapDone(w1, a) || !h.mapDone(w2, b) {
		t.Fatal("a report refused")
	}
	if c := h.get(w2, protocol.ActMap); c.task.index != 1 {
		t.Fatalf("w2 got %s, want map-1, its own", c.ID())
	}
}

// NextMap guesses the map task read next: in a job that absorbs, the one
// after; else the first idle task of the queue, which the next worker
// asking gets; each not guessed before.
func TestNextMapGuessesTheNextRead(t *testing.T) {
	none := func(int) bool { return false }
	h := newAbsorbJob(t, 4, 1, 1<<20)
	if got := h.s.NextMap(0, none); got != 1 {
		t.Errorf("absorbing, after map-0: %d, want 1", got)
	}
	if got := h.s.NextMap(3, none); got != -1 {
		t.Errorf("absorbing, after the last: %d, want -1", got)
	}
	if got := h.s.NextMap(0, func(i int) bool { return i == 1 }); got != -1 {
		t.Errorf("absorbing, map-1 guessed before: %d, want -1", got)
	}
	h = newHarness(t, 4, 1) // tasks that never absorb: the queue's order
	if got := h.s.NextMap(0, none); got != 1 {
		t.Errorf("after map-0, nothing started: %d, want 1", got)
	}
	w1, w2 := h.join("a:1"), h.join("b:1")
	a := h.get(w1, protocol.ActMap)
	b := h.get(w2, protocol.ActMap)
	if got, want := h.s.NextMap(b.task.index, none), 2; got != want || a.task.index != 0 {
		t.Errorf("map-0 and map-1 running, after map-1: %d, want %d", got, want)
	}
	if got := h.s.NextMap(1, func(i int) bool { return i == 2 }); got != 3 {
		t.Errorf("after map-1, map-2 guessed before: %d, want 3", got)
	}
	h.get(h.join("c:1"), protocol.ActMap)
	h.get(h.join("d:1"), protocol.ActMap)
	if got := h.s.NextMap(3, none); got != -1 {
		t.Errorf("every map running: %d, want -1", got)
	}
}

// Workers that hold every input spread over them as others do, and each
// absorbs the tasks after its own: taken in their local queues' order
// they would start at map-0 and map-1, and neither could absorb.
func TestHoldersSpreadOverTheirFreshTasks(t *testing.T) {
	h := newHeldAbsorbJob(t)
	w1, w2 := h.join("a:1"), h.join("b:1")
	for _, id := range []string{w1, w2} {
		h.s.Hold(id, Holding{Inputs: []int{0, 1, 2, 3}, First: true, Commit: true}, h.now)
	}
	a := h.get(w1, protocol.ActMap)
	b := h.get(w2, protocol.ActMap)
	if a.task.index != 0 || b.task.index != 2 {
		t.Fatalf("first attempts %s and %s, want map-0 and map-2", a.ID(), b.ID())
	}
	if p := h.extend(w1, a); p != 1 {
		t.Fatalf("%s absorbed map-%d, want map-1", a.ID(), p)
	}
	if p := h.extend(w2, b); p != 3 {
		t.Fatalf("%s absorbed map-%d, want map-3", b.ID(), p)
	}
}

// A task that fails the job finishing its output (Combine) names the
// inputs of the tasks it absorbed too: the keys may be any of theirs.
func TestAFailedTaskNamesItsAbsorbedInputs(t *testing.T) {
	h := newAbsorbJob(t, 2, 1, 1<<20)
	w1 := h.join("a:1")
	for i := 1; i <= 3; i++ {
		a := h.get(w1, protocol.ActMap)
		if p := h.extend(w1, a); p != 1 || h.extend(w1, a) != -1 {
			t.Fatalf("attempt %s was handed map-%d, want map-1 and no more", a.ID(), p)
		}
		h.s.FailedIn(ref(w1, a), -1, protocol.FailApp, "panic: boom", h.now)
	}
	want := "map-0 (input in-0.txt; absorbed map-1, input in-1.txt) failed 3 times; the app's last error: panic: boom"
	if h.s.phase != phaseFailed || h.s.failure != want {
		t.Fatalf("phase %s, failure %q; want %q", h.s.phase, h.s.failure, want)
	}
}

// An app's failure counts against the input it failed on, in a streak
// that an attempt getting past that input ends: failures at random over
// the parts do not fail the job however many, and an absorbed input the
// app always fails on fails it after MaxFailures attempts, named.
func TestAppFailuresCountAgainstTheirPart(t *testing.T) {
	h := newAbsorbJob(t, 2, 1, 1<<20)
	w1 := h.join("a:1")
	fail := func(part int) { // as a worker reports it: part 0 before it asks for more
		a := h.get(w1, protocol.ActMap)
		if part > 0 {
			if p := h.extend(w1, a); p != 1 {
				t.Fatalf("attempt %s was handed map-%d, want map-1", a.ID(), p)
			}
		}
		h.s.FailedIn(ref(w1, a), part, protocol.FailApp, "panic: boom", h.now)
	}
	for _, part := range []int{0, 0, 1, 0, 0, 1} {
		fail(part)
	}
	if h.s.phase == phaseFailed {
		t.Fatalf("the job failed with no input failed 3 times in a row: %s", h.s.failure)
	}
	fail(1)
	want := "map-1 (input in-1.txt, mapped by map-0's attempts) failed 3 times; the app's last error: panic: boom"
	if h.s.phase != phaseFailed || h.s.failure != want {
		t.Fatalf("phase %s, failure %q; want %q", h.s.phase, h.s.failure, want)
	}
}
