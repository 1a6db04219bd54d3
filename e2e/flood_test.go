// flood_test.go: a secured job under floods of outsiders' connections,
// with the processes' peak RSS (VmHWM) and the flood's CPU as figures.

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// The floods: each kind in a run of its own (MR_FLOOD_KINDS narrows
// them), against the coordinator and the workers (MR_FLOOD_AT), from 100
// loopback addresses (MR_FLOOD_SOURCE), twice each server's cap of
// connections, at most floodRate dials a second per flood.
const (
	floodCoordConns  = 4000
	floodWorkerConns = 2000
	floodMapDelay    = "5s"             // each worker's first Map: the job runs under the flood
	floodGrowth      = 64 << 10         // KiB a process's peak RSS may grow over the unattacked run's
	floodRamp        = 30 * time.Second // for the coordinator's flood to ramp
	clockTicks       = 100              // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s
)

// floodLabels are the processes whose peak RSS is watched.
var floodLabels = []string{"coordinator", "w1", "w2", "w3"}

// Availability under a flood of connections (issue 15). A secured
// straggler job (wc's output; each worker's first Map held floodMapDelay,
// so that the floods land during the job) with 3 workers runs first
// unattacked, which gives its time T0 (from the workers' start to the
// coordinator's exit) and each process's peak RSS; then once per kind of
// flood (idle, slow-headers, partial-body, trickle-frames, handshakes,
// all: see main/mrhostile), while mrhostile, an outsider without the
// secret dialling from 127.0.1.1 to 127.0.1.100 (so that per-host caps
// alone do not stop it), holds 4,000 connections of that kind against
// the coordinator (ramped before the workers start) and 2,000 against
// each worker's run-file server from the moment /status lists it
// (trickle-frames and handshakes only the coordinator serves). Each kind
// is a run of its own because a mix is weaker than its strongest kind.
//
// Under every flood the coordinator must exit 0 within 2*T0 + 10 s of the
// workers' start with mrsequential's output, every worker exit 0; the
// summary must charge no worker (dead, excluded, an attempt failed, died
// or excluded, a fetch failure, a lost output); no process's peak RSS
// (the coordinator's, each mrworker's, not its app's) may exceed the
// unattacked run's (the largest worker's for a worker) by more than 64
// MiB. The figures of each run are logged before its checks (go test -v);
// the test stops at the first kind that fails. MR_FLOOD_GRACE=S keeps
// watching S seconds past the bound (it fails all the same), to see when
// a job that misses it ends.
//
// The race detector's shadow memory makes every goroutine and buffer
// cost several times what it does in a plain build, so when the suite's
// binaries are race-built the test builds those it runs without -race.
func TestFlood(t *testing.T) {
	skipShort(t)
	f := &flood{bin: plainBinaries(t), secret: randomHex(24)}
	calm := f.runFor(t, "", jobTimeout)
	if calm.job == 0 {
		t.Fatalf("the unattacked job did not end within %s", jobTimeout)
	}
	calm.j.finish()
	calm.j.checkOutputs("straggler")
	f.calm, f.t0 = calm, calm.job
	f.bound = 2*calm.job + 10*time.Second
	t.Logf("unattacked: job %.1fs; peak RSS (MiB) %s", calm.job.Seconds(), f.peaks(calm))
	for _, kind := range strings.Fields(envOr("MR_FLOOD_KINDS", "idle slow-headers partial-body trickle-frames handshakes all")) {
		if !t.Run(kind, func(t *testing.T) { f.check(t, kind) }) {
			break
		}
	}
}

// flood is TestFlood's state across its runs.
type flood struct {
	bin    string // the binaries and straggler.so the jobs run
	secret string
	calm   *floodRun // the unattacked run
	t0     time.Duration
	bound  time.Duration
}

// floodRun is one job and what was measured of it.
type floodRun struct {
	j        *job
	job      time.Duration    // from the workers' start to the coordinator's exit; 0: not over
	peaks    map[string]int64 // label -> peak RSS, KiB
	hit      int              // workers flooded (3 when none is to be)
	cpu      float64          // the floods' CPU seconds
	hostiles []*proc
}

// check runs the job under a flood of kind, logs its figures and checks
// them.
func (f *flood) check(t *testing.T, kind string) {
	grace := time.Duration(atoi(envOr("MR_FLOOD_GRACE", "0"))) * time.Second
	r := f.runFor(t, kind, f.bound+grace)
	f.figures(t, kind, r)
	switch {
	case r.hit != 3:
		t.Fatalf("only %d of 3 workers were flooded (/status did not list them)", r.hit)
	case r.job == 0:
		t.Fatalf("the coordinator did not exit within %.1fs (2 x %.1fs + 10s) of the workers' start; %s",
			f.bound.Seconds(), f.t0.Seconds(), registered(r.j))
	case r.job > f.bound:
		t.Fatalf("the coordinator exited only %.1fs after the workers' start, past the bound of %.1fs (2 x %.1fs + 10s)",
			r.job.Seconds(), f.bound.Seconds(), f.t0.Seconds())
	}
	r.j.finish()
	r.j.checkOutputs("straggler")
	if b := blame(r.j.summary("straggler")); b != "" {
		t.Fatalf("the summary charges workers: %s", b)
	}
	for _, label := range floodLabels {
		grow, ok := f.growth(r, label)
		if !ok {
			t.Fatalf("no peak RSS was read for %s", label)
		}
		if grow > floodGrowth {
			t.Fatalf("%s's peak RSS grew by %d MiB over the unattacked run's (bound %d MiB)", label, grow>>10, floodGrowth>>10)
		}
	}
}

// runFor runs the secured job under a flood of kind (none if "") and
// watches it until the coordinator exits or limit has passed since the
// workers started; then stops the floods and watches the workers until
// they exit (exitTimeout at most).
func (f *flood) runFor(t *testing.T, kind string, limit time.Duration) *floodRun {
	at := envOr("MR_FLOOD_AT", "coordinator workers")
	r := &floodRun{j: newJob(t), peaks: map[string]int64{}, hit: 3}
	r.j.secret, r.j.bin, r.j.apps = f.secret, f.bin, f.bin
	r.j.startCoordinator()
	if kind != "" && strings.Contains(at, "coordinator") {
		h := f.flood(r, "coordinator", kind, floodCoordConns, 1000, limit, "-coordinator", r.j.addr)
		waitRamped(t, h)
	}
	start := time.Now()
	for _, w := range floodLabels[1:] {
		os.MkdirAll(r.j.path(w), 0o755)
		r.j.writeMarker(w+"/straggler", floodMapDelay)
		r.j.startWorker(w, "straggler")
	}
	flooding := map[string]bool{}
	atWorkers := kind != "" && kind != "trickle-frames" && kind != "handshakes" && strings.Contains(at, "workers")
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
watch:
	for time.Since(start) < limit {
		r.sample()
		select {
		case <-r.j.coord.done:
			r.job = time.Since(start)
			break watch
		case <-tick.C:
		}
		if atWorkers && len(flooding) < 3 {
			f.floodWorkers(r, kind, limit, flooding)
		}
	}
	if atWorkers {
		r.hit = len(flooding)
	}
	r.stopFloods()
	for deadline := time.Now().Add(exitTimeout); r.job != 0 && r.sample() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond) // sampling: VmHWM is read while the process lives
	}
	return r
}

// floodWorkers floods each worker that /status lists and is not flooded
// yet.
func (f *flood) floodWorkers(r *floodRun, kind string, limit time.Duration, flooding map[string]bool) {
	st, err := r.j.status()
	if err != nil {
		return
	}
	for _, w := range st.WorkerList.Rows {
		if w.Addr != "" && !flooding[w.ID] {
			flooding[w.ID] = true
			f.flood(r, w.ID, kind, floodWorkerConns, 500, limit, "-worker", w.Addr)
		}
	}
}

// flood starts mrhostile flooding target (its -coordinator or -worker
// flags) with conns connections of kind, dialling at most rate a second,
// logging to mrhostile-LABEL.log.
func (f *flood) flood(r *floodRun, label, kind string, conns, rate int, limit time.Duration, target ...string) *proc {
	src := envOr("MR_FLOOD_SOURCE", "")
	if src == "" {
		var s []string
		for i := 1; i <= 100; i++ {
			s = append(s, fmt.Sprintf("127.0.1.%d", i))
		}
		src = strings.Join(s, ",")
	}
	args := append([]string{"-flood", kind, "-conns", fmt.Sprint(conns), "-rate", fmt.Sprint(rate), "-source", src,
		"-duration", (limit + 30*time.Second).String()}, target...)
	h := start(r.j.t, r.j.path("mrhostile-"+label+".log"), r.j.dir, nil, filepath.Join(f.bin, "mrhostile"), args...)
	r.hostiles = append(r.hostiles, h)
	return h
}

// waitRamped waits for h's "flood ramped" line, floodRamp at most.
func waitRamped(t *testing.T, h *proc) {
	t.Helper()
	for deadline := time.Now().Add(floodRamp); time.Now().Before(deadline); {
		if strings.Contains("\n"+h.output(), "\nflood ramped") {
			return
		}
		if _, exited := h.wait(100 * time.Millisecond); exited {
			break
		}
	}
	t.Fatalf("mrhostile's flood of the coordinator did not ramp within %s: %s", floodRamp, h.lastLine())
}

// sample records the peak RSS of the coordinator and of each worker still
// running; it reports whether any is.
func (r *floodRun) sample() bool {
	alive := false
	for i, p := range append([]*proc{r.j.coord}, r.j.workers...) {
		if p.exited() {
			continue
		}
		alive = true
		if kib, err := p.vmHWM(); err == nil {
			r.peaks[floodLabels[i]] = kib
		}
	}
	return alive
}

// stopFloods adds up the floods' CPU time, then ends them (SIGTERM: each
// prints its report), 10 s at most.
func (r *floodRun) stopFloods() {
	for _, h := range r.hostiles {
		r.cpu += cpuSeconds(h.cmd.Process.Pid)
		h.signal(syscall.SIGTERM)
	}
	for _, h := range r.hostiles {
		h.wait(10 * time.Second)
	}
}

// cpuSeconds is the CPU time, user and system, that pid used (0 if it is
// gone): fields 14 and 15 of /proc/PID/stat.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // after the command's name: field 3 on
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.ParseFloat(fields[11], 64)
	sys, _ := strconv.ParseFloat(fields[12], 64)
	return (user + sys) / clockTicks
}

// growth is how many KiB label's peak RSS in r exceeds the unattacked
// run's (for a worker, the largest worker's).
func (f *flood) growth(r *floodRun, label string) (int64, bool) {
	now, ok := r.peaks[label]
	if !ok {
		return 0, false
	}
	base := f.calm.peaks["coordinator"]
	if label != "coordinator" {
		base = 0
		for _, w := range floodLabels[1:] {
			base = max(base, f.calm.peaks[w])
		}
	}
	return now - base, base > 0
}

// peaks is "coordinator 14, w1 21, ..." in MiB, with each growth over
// the unattacked run when r is a flooded one.
func (f *flood) peaks(r *floodRun) string {
	var out []string
	for _, label := range floodLabels {
		kib, ok := r.peaks[label]
		grow, flooded := int64(0), false
		if r != f.calm {
			grow, flooded = f.growth(r, label)
		}
		switch {
		case !ok:
			out = append(out, label+" ?")
		case flooded:
			out = append(out, fmt.Sprintf("%s %d (%+d)", label, kib>>10, grow>>10))
		default:
			out = append(out, fmt.Sprintf("%s %d", label, kib>>10))
		}
	}
	return strings.Join(out, ", ")
}

// figures logs a flooded run's figures: the job's time and end, each
// process's peak RSS and growth, what the summary charges, each flood's
// ramp and last line, and the floods' CPU.
func (f *flood) figures(t *testing.T, kind string, r *floodRun) {
	end := "not over"
	if r.job != 0 {
		end = fmt.Sprintf("%.1fs, exit status %d: %.140s", r.job.Seconds(), r.j.coord.cmd.ProcessState.ExitCode(), r.j.coord.lastLine())
	}
	charged := "nothing"
	if b, err := os.ReadFile(r.j.path("out", "mr-straggler-summary.json")); err != nil || len(b) == 0 {
		charged = "no summary"
	} else if b := blame(r.j.summary("straggler")); b != "" {
		charged = b
	}
	t.Logf("%s flood: job %s (bound %.1fs)", kind, end, f.bound.Seconds())
	t.Logf("  peak RSS (MiB, growth) %s; charged: %s", f.peaks(r), charged)
	for _, h := range r.hostiles {
		out := h.output()
		ramp := "not ramped"
		if i := strings.Index(out, "flood ramped in "); i >= 0 {
			ramp, _, _ = strings.Cut(out[i+len("flood ramped in "):], ":")
		}
		_, over, _ := strings.Cut(out, "mrhostile: flood over: ")
		over, _, _ = strings.Cut(over, "\n")
		t.Logf("  flood of %s (%s): %s", strings.TrimPrefix(h.name, "mrhostile-"), ramp, over)
	}
	t.Logf("  the floods' CPU: %.2fs", r.cpu)
}

// blame is what a summary charges workers with, "" if nothing: workers
// dead or excluded; attempts failed, died or excluded; fetch failures;
// lost outputs.
func blame(s *protocol.Summary) string {
	var out []string
	lost, fetch := 0, 0
	for _, w := range s.Workers {
		if w.Dead {
			out = append(out, "worker dead: "+w.ID)
		}
		if w.Excluded != "" {
			out = append(out, fmt.Sprintf("worker excluded: %s: %.100s", w.ID, w.Excluded))
		}
		lost += w.Lost
	}
	var charged []string
	for _, task := range s.Tasks {
		for _, a := range task.Attempts {
			fetch += a.FetchFailures
			if slices.Contains([]string{"failed", "died", "excluded"}, a.Outcome) {
				charged = append(charged, a.ID+"="+a.Outcome)
			}
		}
	}
	if len(charged) > 0 {
		out = append(out, fmt.Sprintf("%d attempts charged: %s", len(charged), strings.Join(charged[:min(4, len(charged))], " ")))
	}
	if lost > 0 {
		out = append(out, fmt.Sprintf("lost_outputs %d in all", lost))
	}
	if fetch > 0 {
		out = append(out, fmt.Sprintf("fetch_failures %d in all", fetch))
	}
	return strings.Join(out, "; ")
}

// registered names the workers /status lists, for a failure's reason.
func registered(j *job) string {
	st, err := j.status()
	if err != nil {
		return "workers registered: unknown (" + err.Error() + ")"
	}
	var ids []string
	for _, w := range st.WorkerList.Rows {
		ids = append(ids, w.ID)
	}
	if len(ids) == 0 {
		return "workers registered: none"
	}
	return "workers registered: " + strings.Join(ids, " ")
}

// plainBinaries is where the flood's binaries are: binDir, or, when its
// binaries are race-built, $MR_E2E_PLAIN_BIN if set (test-mr.sh builds
// them there while the other tests run), else a directory of the test
// where it builds mrcoordinator, mrworker, mrhostile and straggler.so
// without -race. A directory's binaries are race-built or not as its
// mrcoordinator is: scripts/build.sh builds them all with one set of flags.
func plainBinaries(t testing.TB) string {
	raceBuilt := func(dir string) bool {
		return slices.Contains(flagsOf(t, filepath.Join(dir, "mrcoordinator")), "-race")
	}
	if !raceBuilt(binDir) {
		return binDir
	}
	if dir := os.Getenv("MR_E2E_PLAIN_BIN"); dir != "" {
		if raceBuilt(dir) {
			t.Fatalf("MR_E2E_PLAIN_BIN=%s: its binaries are race-built", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "straggler.so")); err != nil {
			t.Fatalf("MR_E2E_PLAIN_BIN=%s: %v", dir, err)
		}
		return dir
	}
	dir, begin := t.TempDir(), time.Now()
	for _, args := range [][]string{
		{"-o", dir + "/", "./main/mrcoordinator", "./main/mrworker", "./main/mrhostile"},
		{"-buildmode=plugin", "-o", filepath.Join(dir, "straggler.so"), "./mrapps/straggler"},
	} {
		cmd := exec.Command("go", append([]string{"build", "-trimpath"}, args...)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the flood's binaries without -race: %v\n%s", err, out)
		}
	}
	t.Logf("built mrcoordinator, mrworker, mrhostile and straggler.so without -race in %.1fs", time.Since(begin).Seconds())
	return dir
}

// envOr is the environment variable name, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
