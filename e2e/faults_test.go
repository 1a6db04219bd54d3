// faults_test.go: bad input, poisoned input, a bad worker among healthy
// ones, and a hostile peer.

package e2e

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// A coordinator or worker given something wrong exits non-zero at once
// with one line naming what is at fault: a missing input, no input, a
// named pipe for input, an address without a port, a port already taken;
// a missing plugin, a file that is no plugin, a secret its coordinator
// lacks. A worker whose coordinator never answers gives up after its
// -wait-coordinator.
func TestBadInput(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	coord, w := j.path("coord"), j.path("w1")
	os.MkdirAll(w, 0o755)
	out := []string{"-out", j.path("out")}
	noCoord := "COORDINATOR_HOST=127.0.0.1:1"
	bogus := j.path("bogus.so")
	os.WriteFile(bogus, []byte("not a plugin\n"), 0o644)
	if err := syscall.Mkfifo(j.path("coord", "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, names string
		env         []string
		cmd         string
		args        []string
	}{
		{"coordinator with a missing input", "no-such-input.txt", nil, "mrcoordinator",
			append(out, "-addr", "127.0.0.1:0", "input-1.txt", "no-such-input.txt")},
		{"coordinator with no inputs", "no inputs", nil, "mrcoordinator", append(out, "-addr", "127.0.0.1:0")},
		{"coordinator with a named pipe as input", "pipe.txt", nil, "mrcoordinator",
			append(out, "-addr", "127.0.0.1:0", "input-1.txt", "pipe.txt")},
		{"coordinator address without a port", "127.0.0.1", nil, "mrcoordinator", append(out, "-addr", "127.0.0.1", "input-1.txt")},
		{"worker with a missing plugin", "no-such-app.so", []string{noCoord}, "mrworker",
			[]string{"-dir", w + "/run", j.path("no-such-app.so")}},
		{"worker with a file that is no plugin", "bogus.so", []string{noCoord}, "mrworker", []string{"-dir", w + "/run", bogus}},
		{"worker address without a port", "127.0.0.1", []string{"COORDINATOR_HOST=127.0.0.1"}, "mrworker",
			[]string{"-dir", w + "/run", binDir + "/wc.so"}},
	} {
		dir := coord
		if c.cmd == "mrworker" {
			dir = w
		}
		oneLineError(t, c.what, c.names, dir, c.env, c.cmd, c.args...)
	}

	j.startCoordinator()
	oneLineError(t, "coordinator on a busy port", j.addr, coord, nil, "mrcoordinator", append(out, "-addr", j.addr, "input-1.txt")...)
	oneLineError(t, "worker with a secret the coordinator lacks", "MR_SECRET", w,
		[]string{"COORDINATOR_HOST=" + j.addr, "MR_SECRET=not-the-jobs"}, "mrworker", "-dir", w+"/run", binDir+"/wc.so")
	if j.coord.exited() {
		t.Fatalf("the coordinator exited: %s", j.coord.lastLine())
	}

	// Nothing listens on 127.0.0.1:1 (checked); the default wait is a
	// minute, for people who start workers first.
	if c, err := net.Dial("tcp", "127.0.0.1:1"); err == nil {
		c.Close()
		t.Fatal("something listens on 127.0.0.1:1; cannot test an unreachable coordinator")
	}
	begin := time.Now()
	p := start(t, j.path("no-coordinator.log"), w, []string{noCoord}, "mrworker", "-dir", w+"/run", "-wait-coordinator", "3s",
		binDir+"/wc.so")
	status, ok := p.wait(30 * time.Second)
	switch {
	case !ok:
		t.Errorf("a worker told to wait 3 s for its coordinator still runs after 30 s")
	case status == 0:
		t.Errorf("a worker with no coordinator exited 0")
	default:
		t.Logf("no coordinator: status %d after %.1f s: %s", status, time.Since(begin).Seconds(), p.lastLine())
	}
}

// For each poisoned input (a Map that exits, one that panics in a
// goroutine of its own, one that never returns), a job over the inputs
// and that one fails within bounded time, its last line naming the file;
// the workers survive every failed attempt (the app runs in a child) and
// leave with the job.
func TestPoison(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"exit", "panic", "hang"} {
		t.Run(mode, func(t *testing.T) {
			j := newJob(t)
			file := "poison-" + mode + ".txt"
			os.WriteFile(j.path("coord", file), []byte("the quick brown fox\n"), 0o644)
			j.inputs = append(j.inputs, file)
			j.run("poison", 3, "-attempt-limit", "1s")
			status, ok := j.coord.wait(jobTimeout)
			switch {
			case !ok:
				t.Fatalf("the coordinator still runs after %s", jobTimeout)
			case status == 0:
				t.Fatal("the job succeeded")
			case !strings.Contains(j.coord.lastLine(), file):
				t.Fatalf("the coordinator's last line does not name %s: %s", file, j.coord.lastLine())
			}
			for _, w := range j.workers {
				if _, ok := w.wait(exitTimeout); !ok {
					t.Fatalf("%s still runs %s after the coordinator failed the job", w.name, exitTimeout)
				}
			}
			s := j.summary("poison")
			if s.Phase != "failed" || !strings.Contains(s.Failure, file) {
				t.Errorf("summary: phase %s, failure %q", s.Phase, s.Failure)
			}
			for _, w := range s.Workers {
				if w.Dead || w.Excluded != "" {
					t.Errorf("worker %s dead %v, excluded %q: the app's failures cost the worker", w.ID, w.Dead, w.Excluded)
				}
			}
			t.Logf("%s: %s", file, j.coord.lastLine())
		})
	}
}

// One bad worker (w1) among three never sinks a word count: the job ends
// with mrsequential's output, the healthy workers exit 0, and what the
// summary records is the scenario's own fact.
func TestBadWorker(t *testing.T) {
	t.Parallel()
	t.Run("full disk", func(t *testing.T) {
		// w1's -dir is a 64 KiB tmpfs: every attempt it takes fails on its
		// disk, which counts against it, not the tasks: it is excluded.
		if os.Geteuid() != 0 || exec.Command("unshare", "-m", "true").Run() != nil {
			t.Skip("needs root and mount namespaces for a private tmpfs")
		}
		j, id := badWorkerJob(t, true, func(j *job) {
			j.startWorkerIn("w1", "wc", []string{"unshare", "-m", "sh", "-c",
				`mount -t tmpfs -o size=64k mr-test "$1" && shift && exec "$@"`, "sh", j.path("w1", "run")})
		})
		if w := worker(j.summary("wc"), id); w == nil || w.Excluded == "" {
			t.Fatalf("w1 (%s) was not excluded: %+v", id, w)
		}
	})
	t.Run("reduce disk", func(t *testing.T) {
		// w1's writes of fetched runs fail (ENOSPC, injected): its reduce
		// attempts fail as its own; no map output is blamed for them.
		j, _ := badWorkerJob(t, false, func(j *job) { j.startWorker("w1", "wc", "-inject-faults", "full-reduce-disk") })
		for _, task := range j.summary("wc").Tasks {
			for _, a := range task.Attempts {
				if a.FetchFailures > 0 {
					t.Errorf("%s was blamed for w1's disk: %d fetch failures", a.ID, a.FetchFailures)
				}
			}
		}
	})
	t.Run("garbage", func(t *testing.T) {
		// w1 advertises a file server that answers random bytes: its
		// outputs are re-run elsewhere, once w1's own reduce attempt
		// fails to fetch them. Every worker here is on one host, so no
		// reducer's word is backed by a second host's: one failing alone
		// for a heartbeat timeout is taken to be at fault itself, and the
		// timeout is long enough for w1's reduce to come first.
		badWorkerJob(t, false, func(j *job) {
			addr := garbageServer(t, j)
			j.startWorker("w1", "wc", "-advertise", addr)
		}, "-heartbeat-timeout", "10s")
	})
	t.Run("lost reply", func(t *testing.T) {
		// The reply to w1's first ReportMap is lost (injected): its retry is
		// accepted, so nothing runs twice. w1 joins first, so it runs a map.
		j, id := badWorkerJob(t, true, func(j *job) { j.startWorker("w1", "wc", "-inject-faults", "drop-report-reply") })
		s := j.summary("wc")
		w := worker(s, id)
		if w == nil || len(w.Won) == 0 || !strings.HasPrefix(w.Won[0], "map-") {
			t.Fatalf("w1 (%s) won no map, so no reply was lost: %+v", id, w)
		}
		if s.MapAttempts != s.Maps {
			t.Fatalf("%d map attempts for %d maps", s.MapAttempts, s.Maps)
		}
	})
}

// badWorkerJob runs wc with the bad worker w1, started by startBad once
// the coordinator (with args) listens, and returns the job and w1's id. With first,
// w2 and w3 start once w1 has joined (so it is known, and takes the first
// map); else at once, as peers: their word against w1's outputs then
// counts as soon as they won an attempt.
func badWorkerJob(t *testing.T, first bool, startBad func(*job), args ...string) (*job, string) {
	t.Helper()
	j := newJob(t)
	j.startCoordinator(args...)
	startBad(j)
	id := ""
	if first {
		st := j.waitStatus(quickExit, "w1 registered", func(st *protocol.Status) bool { return len(st.WorkerList.Rows) == 1 })
		id = st.WorkerList.Rows[0].ID
	}
	j.startWorker("w2", "wc")
	j.startWorker("w3", "wc")
	j.coord.mustExit(t, jobTimeout, 0)
	for _, w := range j.workers[1:] {
		w.mustExit(t, exitTimeout, 0)
	}
	if _, ok := j.workers[0].wait(exitTimeout); !ok {
		t.Fatalf("w1 still runs %s after the job", exitTimeout)
	}
	j.checkOutputs("wc")
	t.Logf("w1 (%s): %s", id, j.workers[0].lastLine())
	return j, id
}

// startWorkerIn is startWorker with the command run by wrapper (its
// arguments, the worker's command line appended).
func (j *job) startWorkerIn(name, app string, wrapper []string) *proc {
	j.t.Helper()
	dir := j.path(name)
	os.MkdirAll(filepath.Join(dir, "run"), 0o755)
	env := []string{"COORDINATOR_HOST=" + j.addr, "MR_MARKER_DIR=" + j.path("markers")}
	args := append(wrapper[1:], filepath.Join(binDir, "mrworker"), "-dir", filepath.Join(dir, "run"), filepath.Join(binDir, app+".so"))
	bin, err := exec.LookPath(wrapper[0])
	if err != nil {
		j.t.Fatal(err)
	}
	p := start(j.t, j.path(name+".log"), dir, env, bin, args...)
	j.workers = append(j.workers, p)
	return p
}

// garbageServer starts mrhostile -serve-garbage and returns its address.
func garbageServer(t *testing.T, j *job) string {
	t.Helper()
	p := start(t, j.path("garbage.log"), j.dir, nil, "mrhostile", "-serve-garbage", "127.0.0.1:0")
	for deadline := time.Now().Add(quickExit); time.Now().Before(deadline); {
		f, _ := os.Open(p.log)
		if f != nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if addr, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
					f.Close()
					return addr
				}
			}
			f.Close()
		}
		if _, exited := p.wait(20 * time.Millisecond); exited {
			t.Fatalf("the garbage server exited: %s", p.lastLine())
		}
	}
	t.Fatal("the garbage server did not start")
	return ""
}

// A job run with a job secret while mrhostile, a peer on the same host
// without it, attacks the coordinator's and every worker's port (see
// main/mrhostile): every attack is refused, the job ends with
// mrsequential's output, nothing is written outside -out, the
// coordinator's memory stays bounded and the secret appears in no log.
// The workers' first Reduce is slow, so the job still runs when the
// attacks land.
func TestHostile(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.secret = randomHex(24)
	j.startCoordinator()
	for _, w := range []string{"w1", "w2", "w3"} {
		os.MkdirAll(j.path(w), 0o755)
		j.writeMarker(w+"/slow-reduce", "6s")
		j.startWorker(w, "straggler")
	}
	st := j.waitStatus(quickExit, "3 workers registered", func(st *protocol.Status) bool { return len(st.WorkerList.Rows) == 3 })
	args := []string{"-coordinator", j.addr}
	for _, w := range st.WorkerList.Rows {
		args = append(args, "-worker", w.Addr)
	}
	h := start(t, j.path("mrhostile.log"), j.dir, nil, "mrhostile", args...)
	status, ok := h.wait(2 * jobTimeout)
	hwm, err := j.coord.vmHWM()
	t.Logf("%s; the coordinator's peak RSS %d KiB (%v)", h.lastLine(), hwm, err)
	if !ok || status != 0 {
		t.Fatalf("mrhostile: status %d (exited %v); an attack was not refused: see mrhostile.log", status, ok)
	}
	if err == nil && hwm >= 400<<10 {
		t.Errorf("the coordinator's peak RSS under attack: %d KiB (bound 400 MiB)", hwm)
	}
	j.finish()
	j.checkOutputs("straggler")
	filepath.WalkDir(j.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), "pwned") || d.Name() == "passwd") {
			t.Errorf("a file written outside -out: %s", path)
		}
		if err == nil && strings.HasSuffix(path, ".log") {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), j.secret) {
				t.Errorf("the secret appears in %s", path)
			}
		}
		return nil
	})
	entries, _ := os.ReadDir(j.path("coord"))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "input-") {
			t.Errorf("a file written in the coordinator's directory: %s", e.Name())
		}
	}
}
