// jobs_test.go: the classic MapReduce cases (MIT 6.5840's test-mr.sh):
// word count, the indexer, map and reduce parallelism, the job count,
// early exit and crashing workers.

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestWordCount(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("wc", 3)
	j.finish()
	j.checkOutputs("wc")
}

func TestIndexer(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("indexer", 2)
	j.finish()
	j.checkOutputs("indexer")
}

// Two workers run maps at the same time: mtiming's output counts the
// workers that ran maps, and how many ran at once.
func TestMapParallelism(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("mtiming", 2)
	j.finish()
	all := string(j.checkFiles("mtiming"))
	if n := strings.Count("\n"+all, "\ntimes-"); n != 2 {
		t.Errorf("saw %d workers running maps rather than 2:\n%s", n, all)
	}
	if !anyAtLeast(all, "parallel-", 2) {
		t.Errorf("map workers did not run in parallel:\n%s", all)
	}
}

// Two workers run reduces at the same time.
func TestReduceParallelism(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("rtiming", 2)
	j.finish()
	all := string(j.checkFiles("rtiming"))
	keys := 0
	for _, l := range strings.Split(all, "\n") {
		if len(l) > 2 && l[0] >= 'a' && l[0] <= 'j' && l[1] == ' ' {
			keys++
		}
	}
	if keys != 10 {
		t.Errorf("expected the 10 keys a..j, found %d:\n%s", keys, all)
	}
	if !anyAtLeast(all, "", 2) {
		t.Errorf("reduce workers did not run in parallel:\n%s", all)
	}
}

// anyAtLeast reports whether a line "KEY N" of out, KEY starting with
// prefix, has N >= n.
func anyAtLeast(out, prefix string, n int) bool {
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, " ")
		if ok && strings.HasPrefix(k, prefix) && atoi(v) >= n {
			return true
		}
	}
	return false
}

// Each input is mapped exactly once: jobcount's Map leaves a marker per
// call, and its output counts them.
func TestJobCount(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("jobcount", 4)
	j.finish()
	all := j.checkFiles("jobcount")
	if n := len(j.markers("mr-worker-jobcount-")); n != nFiles {
		t.Errorf("%d map calls ran for %d inputs", n, nFiles)
	}
	if want := fmt.Sprintf("a %d\n", nFiles); string(all) != want {
		t.Errorf("output is %q, want %q", all, want)
	}
}

// When the first process exits (coordinator or worker), the output is
// complete and correct already, and does not change after.
func TestEarlyExit(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.run("early_exit", 3)
	first := make(chan *proc, 4)
	for _, p := range append([]*proc{j.coord}, j.workers...) {
		go func() {
			<-p.done
			first <- p
		}()
	}
	var who *proc
	select {
	case who = <-first:
	case <-time.After(jobTimeout):
		t.Fatalf("no process exited within %s", jobTimeout)
	}
	// At once, before anything else can change.
	sortedThen := sortedLines(j.outParts())
	allThen, errThen := os.ReadFile(j.path("out", "mr-early_exit-all"))
	t.Logf("first to exit: %s (status %d)", who.name, who.cmd.ProcessState.ExitCode())
	j.finish()
	j.checkOutputs("early_exit")
	if errThen != nil {
		t.Fatalf("%s exited before mr-early_exit-all existed", who.name)
	}
	all, _ := os.ReadFile(j.path("out", "mr-early_exit-all"))
	if !bytes.Equal(all, allThen) {
		t.Errorf("mr-early_exit-all changed after %s exited", who.name)
	}
	if !bytes.Equal(sortedLines(j.outParts()), sortedThen) {
		t.Errorf("mr-out-* changed after %s exited (the output was incomplete when the first process exited)", who.name)
	}
}

// outParts is the contents of the mr-out-* there are now.
func (j *job) outParts() []byte {
	var b []byte
	for y := 0; y < nReduce; y++ {
		p, _ := os.ReadFile(j.path("out", fmt.Sprintf("mr-out-%d", y)))
		b = append(b, p...)
	}
	return b
}

// Workers whose app crashes or hangs at random are restarted, each in a
// fresh directory, until the job is done: its output is nocrash's, which
// is crash's without the crashes.
func TestCrash(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.startCoordinator()
	t.Logf("%d worker processes ran", j.crashWorkers())
	j.checkOutputs("crash", "nocrash")
}

// The same with map tasks of 32 KiB, which absorb the next one (up to
// about 64 KiB of input each, scheduler/absorb.go): an app that crashes or
// stalls while it maps a task's parts costs that task's whole attempt,
// and the output is still nocrash's over the same splits.
func TestCrashAbsorbing(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.startCoordinator("-split-size", "32768", "-absorb-size", "72000")
	ran := j.crashWorkers()
	all := j.checkFiles("crash")
	if want := expected(t, "nocrash", "-split-size", "32768", "-pack-size", "1"); !bytes.Equal(all, want) {
		t.Fatalf("mr-crash-all (%d bytes) differs from mrsequential's output over the same splits (%d bytes)", len(all), len(want))
	}
	n := 0
	for _, ts := range j.summary("crash").Tasks {
		if ts.AbsorbedBy != "" {
			n++
		}
	}
	if n == 0 {
		t.Fatal("the summary names no absorbed map task: the case tested nothing new")
	}
	t.Logf("%d worker processes ran; %d map tasks absorbed", ran, n)
}

// crashWorkers runs 3 loops of crash.so workers (crashLoop) until the
// coordinator has exited, and returns how many worker processes ran.
func (j *job) crashWorkers() int {
	t := j.t
	loops := make(chan int, 3)
	for i := 1; i <= 3; i++ {
		go func() { loops <- j.crashLoop(i) }()
	}
	j.coord.mustExit(t, 2*jobTimeout, 0)
	ran := 0
	for range 3 {
		select {
		case n := <-loops:
			ran += n
		case <-time.After(exitTimeout + 15*time.Second): // a worker may sleep 10 s inside the app
			t.Fatalf("crash workers still running %s after the coordinator exited", exitTimeout+15*time.Second)
		}
	}
	return ran
}

// crashLoop runs crash.so workers in w<I>.<n>, one after the other (the
// next a second after one exits), until the coordinator has exited, and
// returns how many it ran.
func (j *job) crashLoop(i int) int {
	n := 0
	for !j.coord.exited() {
		n++
		name := fmt.Sprintf("w%d.%d", i, n)
		dir := j.path(name)
		os.MkdirAll(dir+"/run", 0o755)
		env := []string{"COORDINATOR_HOST=" + j.addr, "MR_MARKER_DIR=" + j.path("markers")}
		p := start(j.t, j.path(name+".log"), dir, env, "mrworker", "-dir", dir+"/run", "-wait-coordinator", "5s",
			binDir+"/crash.so")
		<-p.done
		select {
		case <-j.coord.done:
		case <-time.After(time.Second): // a crashed machine's restart takes a while
		}
	}
	return n
}
