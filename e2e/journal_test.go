// journal_test.go: a journaled job survives its coordinator, killed at
// four moments.

package e2e

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
// input whose map was committed before the kill (done in /status
// journalGrace before it) is mapped again (its owner offers the output
// back), no reduce task committed before the kill runs again (after a
// kill in the final merge, at most one per worker), the summary shows the
// restart, and the output is mrsequential's. The upload and merge moments are caught as closely as
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
	s := j.summary("gated")
	if len(s.Restarts) != 1 {
		t.Errorf("the summary shows %d restarts, want 1", len(s.Restarts))
	}
	kept, maps := 0, 0
	for _, r := range before.Tasks.Rows {
		if r.State != "done" {
			continue
		}
		if r.Input != "" { // a map task, of one input (-pack-size 1)
			if n := len(j.markers("map-" + r.Input + "-")); n != 1 {
				t.Errorf("%s was mapped %d times; its map was committed before the kill", r.Input, n)
			}
			maps++
			continue
		}
		kept++
		for _, task := range s.Tasks {
			if task.Task == r.Task && (!task.Recovered || len(task.Attempts) != 1) {
				t.Errorf("%s, committed before the kill, ran again: recovered %v, attempts %+v", r.Task, task.Recovered, task.Attempts)
			}
		}
	}
	recovered := 0
	for _, task := range s.Tasks {
		if task.Recovered && strings.HasPrefix(task.Task, "reduce-") {
			recovered++
		}
	}
	// At the merge every reduce was done; at most one upload per worker
	// can have been unjournaled at the kill.
	if moment == "merge" && recovered < nReduce-2 {
		t.Errorf("%d reduces taken back after a kill in the final merge, want at least %d", recovered, nReduce-2)
	}
	if moment != "merge" && maps < nFiles-1 {
		t.Errorf("only %d maps were committed %s before the kill", maps, journalGrace)
	}
	t.Logf("%s: resumed; committed %s before the kill: %d maps, %d reduces; reduces taken back: %d", moment, journalGrace,
		maps, kept, recovered)
}

// journalGrace is how long before the kill a task must have been done
// in /status to count as committed: the status shows a commit as the
// scheduler applies it, a moment before the journal has it on disk and
// the worker is told.
const journalGrace = 2 * time.Second

// waitMoment waits until the job is at moment and returns the last status
// seen at least journalGrace before the end of the wait (the kill). At
// the map and reduce moments the job is held there: it waits
// journalGrace more, so that what was done then is committed by the kill.
func (j *job) waitMoment(moment string) *protocol.Status {
	j.t.Helper()
	var seen []timedStatus
	held := func() bool { return len(j.markers("reduce-held-")) > 0 }
	until := func(what string, ok func(*protocol.Status) bool) {
		for deadline := time.Now().Add(jobTimeout); ; j.coord.wait(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				j.t.Fatalf("%s: no %s within %s", moment, what, jobTimeout)
			}
			if st, err := j.status(); err == nil {
				seen = append(seen, timedStatus{time.Now(), st})
				if ok(st) {
					return
				}
			}
		}
	}
	grace := func() {
		end := time.Now().Add(journalGrace)
		until("grace", func(*protocol.Status) bool { return time.Now().After(end) })
	}
	switch moment {
	case "map": // every map but the held one committed
		until("maps done but one", func(st *protocol.Status) bool { return st.MapsDone >= nFiles-1 })
		grace()
	case "reduce": // some reduce committed, one held in a Reduce call
		until("reduce done and one held", func(st *protocol.Status) bool { return st.ReducesDone >= 1 && held() })
		grace()
	case "upload": // the held reduce let go: kill as its attempt uploads
		until("reduce held", func(*protocol.Status) bool { return held() })
		grace()
		os.Remove(j.path("markers", "hold-reduce"))
		until("held reduce released", func(*protocol.Status) bool { return len(j.markers("reduce-released-")) > 0 })
	default: // the final merge
		until("final merge", func(st *protocol.Status) bool { return st.Phase == "merge" || st.Over })
	}
	before := &protocol.Status{}
	for _, s := range seen {
		if time.Since(s.at) >= journalGrace {
			before = s.st
		}
	}
	return before
}

// timedStatus is a status and when it was read.
type timedStatus struct {
	at time.Time
	st *protocol.Status
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
