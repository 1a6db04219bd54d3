package e2e

// journal_test.go: a journaled job survives its coordinator, killed at
// four moments.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// heldKey is a word of the generated inputs that a held reduce task waits
// on (gated.so's hold-reduce).
const heldKey = "zindricai"

// For each moment (the map phase, the reduce phase, an upload, the final
// merge), a journaled job (-journal, one map task per input) of gated.so
// (wc's output; its calls leave markers, and one input's Map or one key's
// Reduce waits while a hold marker exists) with two workers has its
// coordinator killed with SIGKILL at that moment, and the same command
// run again 2 s later: the workers wait for it (they exit 0, not 1), no
// input whose map was committed before the kill is mapped again (its
// owner offers the output back), no reduce task committed before the kill
// runs again, the summary shows the restart, and the output is
// mrsequential's. The upload and merge moments are caught as closely as
// the markers and /status allow (the final merge of these small outputs
// takes milliseconds: the kill often lands after it; mr/coordinator's
// TestRestartDuringTheFinalMerge builds that state exactly); when the
// kill lands after the job ended, the run again says the job is finished
// and exits 0.
func TestJournal(t *testing.T) {
	t.Parallel()
	for _, moment := range []string{"map", "reduce", "upload", "merge"} {
		t.Run(moment, func(t *testing.T) { journalMoment(t, moment) })
	}
}

func journalMoment(t *testing.T, moment string) {
	j := newJob(t)
	j.journal = true
	held := inputs[nFiles-1]
	switch moment {
	case "map":
		j.writeMarker("markers/hold-"+held, "")
	case "reduce", "upload":
		j.writeMarker("markers/hold-reduce", heldKey)
	}
	j.run("gated", 2, "-journal", "-pack-size", "1")
	before := j.waitMoment(moment)
	j.coord.signal(syscall.SIGKILL)
	j.coord.wait(exitTimeout)
	for _, m := range j.markers("hold-") {
		os.Remove(j.path("markers", m))
	}
	if _, err := os.Stat(j.path("out", "mr-gated-summary.json")); err == nil {
		j.journalFinished()
		return
	}
	time.Sleep(2 * time.Second) // the coordinator stays down 2 s: the workers must wait
	j.startCoordinator(append(j.args, "-addr", j.addr)...)
	j.finish()
	j.checkOutputs("gated")
	for i, in := range inputs {
		if n := len(j.markers("map-" + in + "-")); n != 1 && !(moment == "map" && i == nFiles-1) {
			t.Errorf("%s was mapped %d times; its map was committed before the kill", in, n)
		}
	}
	s := j.summary("gated")
	if len(s.Restarts) != 1 {
		t.Errorf("the summary shows %d restarts, want 1", len(s.Restarts))
	}
	kept := 0
	for _, r := range before.Tasks.Rows {
		if !strings.HasPrefix(r.Task, "reduce-") || r.State != "done" {
			continue
		}
		kept++
		for _, task := range s.Tasks {
			if task.Task == r.Task && (!task.Recovered || len(task.Attempts) != 1) {
				t.Errorf("%s, committed before the kill, ran again: recovered %v, attempts %+v", r.Task, task.Recovered, task.Attempts)
			}
		}
	}
	t.Logf("%s: resumed; reduces committed before the kill: %d; map attempts after it: %d", moment, kept, s.MapAttempts)
}

// waitMoment waits until the job is at moment, and returns the last
// status seen before it.
func (j *job) waitMoment(moment string) *protocol.Status {
	j.t.Helper()
	held := func() bool { return len(j.markers("reduce-held-")) > 0 }
	switch moment {
	case "map": // every map but the held one committed
		return j.waitStatus(jobTimeout, "every map but one done", func(st *protocol.Status) bool { return st.MapsDone >= nFiles-1 })
	case "reduce": // some reduce committed, one held in a Reduce call
		return j.waitStatus(jobTimeout, "a reduce done and one held", func(st *protocol.Status) bool { return st.ReducesDone >= 1 && held() })
	case "upload": // the held reduce let go: kill as its attempt uploads
		st := j.waitStatus(jobTimeout, "a reduce held", func(*protocol.Status) bool { return held() })
		os.Remove(j.path("markers", "hold-reduce"))
		for deadline := time.Now().Add(jobTimeout); len(j.markers("reduce-released-")) == 0; {
			if time.Now().After(deadline) {
				j.t.Fatal("the held reduce was not released")
			}
			if now, err := j.status(); err == nil {
				st = now
			}
			j.coord.wait(5 * time.Millisecond)
		}
		return st
	default: // the final merge
		return j.waitStatus(jobTimeout, "the final merge", func(st *protocol.Status) bool { return st.Phase == "merge" || st.Over })
	}
}

// journalFinished: the kill came after the job's end. Run again, the
// coordinator exits 0 at once, the workers leave, and the output stands.
func (j *job) journalFinished() {
	j.t.Helper()
	p := start(j.t, j.nextLog("coordinator"), j.path("coord"), nil, "mrcoordinator",
		append(append([]string{"-addr", j.addr, "-nreduce", fmt.Sprint(nReduce), "-out", j.path("out")}, j.args...), j.inputs...)...)
	p.mustExit(j.t, quickExit, 0)
	for _, w := range j.workers {
		if _, ok := w.wait(exitTimeout); !ok {
			j.t.Fatalf("%s still runs after the job", w.name)
		}
	}
	j.checkOutputs("gated")
	j.t.Logf("the kill came after the job's end; run again: %s", p.lastLine())
}
