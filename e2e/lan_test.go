// lan_test.go: the multi-host scenarios' harness. Each scenario builds a
// LAN of its own with internal/lan (a coordinator on host 0, three worker
// hosts, each process in its own network namespace and private tmpfs),
// runs a job over the generated inputs, and tears the LAN down, checking
// that nothing of it is left. What happens during the job is read from
// the coordinator's GET /status, reached from host 0's namespace; what
// happened, from the job summary collected from host 0.

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/lan"
	"mapreduce/internal/protocol"
)

// The scenarios' bounds: far above their usual times, as the bash
// scenarios had them.
const (
	lanProcTimeout = 60 * time.Second // every process's deadline (timeout(1))
	lanJobTimeout  = 45 * time.Second // how long a scenario waits for its coordinator
	lanScenarioMax = 60 * time.Second // a scenario that takes longer fails
	lanWorkerExit  = 10 * time.Second // a worker, after its coordinator exited
)

// Coordinator flags: fast failure detection, and without backups where
// they would only add noise.
var (
	lanFast     = []string{"-heartbeat-timeout", "2s", "-task-timeout", "5s"}
	lanNoBackup = []string{"-heartbeat-timeout", "2s", "-task-timeout", "10s"}
)

// lanJob is one scenario's LAN and the processes on it.
type lanJob struct {
	t      *testing.T
	net    *lan.LAN
	hosts  [4]*lan.Proc // the latest process of each host
	secret string       // MR_SECRET of every process, if any
	client *http.Client // from host 0's namespace
}

// skipLAN skips t, saying why, when this machine cannot build a LAN or
// MR_SKIP_LAN=1.
func skipLAN(t *testing.T) {
	t.Helper()
	skipShort(t)
	if os.Getenv("MR_SKIP_LAN") == "1" {
		t.Skip("MR_SKIP_LAN=1")
	}
	if err := lan.Check(); err != nil {
		t.Skip(err)
	}
}

// runLAN runs scenario on a fresh LAN of a coordinator and three worker
// hosts, then tears it down: nothing of it may be left, and the scenario
// must not take more than lanScenarioMax.
func runLAN(t *testing.T, scenario func(*lanJob)) {
	dir := t.TempDir()
	net, err := lan.New(4, "10.77.0", dir)
	if err != nil {
		t.Fatalf("cannot build the LAN: %v", err)
	}
	j := &lanJob{t: t, net: net, client: net.HTTPClient(0, 10*time.Second)}
	start := time.Now()
	defer func() {
		took := time.Since(start)
		if err := net.Close(); err != nil {
			t.Error(err)
		}
		if !t.Failed() && took > lanScenarioMax {
			t.Errorf("took %.1fs, more than %s", took.Seconds(), lanScenarioMax)
		}
		checkLogs(t, dir)
		logVerdict(t, took)
	}()
	scenario(j)
}

// logVerdict logs t's verdict: go test -v prints parallel subtests'
// verdicts only once all are done, this line as each ends.
func logVerdict(t *testing.T, took time.Duration) {
	verdict := "PASS"
	if t.Failed() {
		verdict = "FAIL"
	}
	t.Logf("%s: %s in %.1fs", t.Name(), verdict, took.Seconds())
}

// env is what every process of the job gets.
func (j *lanJob) env() []string {
	if j.secret == "" {
		return nil
	}
	return []string{"MR_SECRET=" + j.secret}
}

// path is a file of the LAN's directory.
func (j *lanJob) path(name string) string { return filepath.Join(j.net.Dir, name) }

// start starts spec on host h, under lanProcTimeout.
func (j *lanJob) start(h int, spec lan.Spec) *lan.Proc {
	j.t.Helper()
	spec.Env = append(spec.Env, j.env()...)
	spec.Timeout = lanProcTimeout
	p, err := j.net.Start(h, spec)
	if err != nil {
		j.t.Fatal(err)
	}
	j.hosts[h] = p
	return p
}

// coordinator starts the coordinator on host 0 with copies of the
// inputs (when given, under their names), its -out out/ collected to
// host0.out, one map task per input, nReduce reduces, and flags.
func (j *lanJob) coordinator(spec lan.Spec, names []string, flags ...string) *lan.Proc {
	j.t.Helper()
	if spec.Files == nil {
		spec.Files = map[string]string{}
	}
	for _, n := range names {
		spec.Files[n] = filepath.Join(inDir, n)
	}
	spec.Collect = "out"
	spec.Args = append(append([]string{filepath.Join(binDir, "mrcoordinator"), "-addr", j.net.Coord(), "-out", "out",
		"-nreduce", fmt.Sprint(nReduce), "-pack-size", "1"}, flags...), names...)
	return j.start(0, spec)
}

// job is the coordinator of the inputs with flags.
func (j *lanJob) job(flags ...string) *lan.Proc {
	j.t.Helper()
	return j.coordinator(lan.Spec{}, inputs, flags...)
}

// worker starts an mrworker of app.so (none: a pool worker) on host h,
// with the marker files text in its directory, the files data in its
// data/ (-data data), and args.
func (j *lanJob) worker(h int, app string, text map[string]string, data []string, args ...string) *lan.Proc {
	j.t.Helper()
	spec := lan.Spec{Text: text, Files: map[string]string{}, Env: []string{"COORDINATOR_HOST=" + j.net.Coord()}}
	all := []string{filepath.Join(binDir, "mrworker"), "-dir", "run", "-listen", fmt.Sprintf(":%d", lan.WorkerPort),
		"-advertise", j.net.Addr(h)}
	if len(data) > 0 {
		all = append(all, "-data", "data")
	}
	for _, f := range data {
		spec.Files["data/"+filepath.Base(f)] = f
	}
	all = append(all, args...)
	if app != "" {
		all = append(all, filepath.Join(binDir, app+".so"))
	}
	spec.Args = all
	return j.start(h, spec)
}

// straggler starts a worker of straggler.so on host h with the markers
// given as NAME=DURATION pairs.
func (j *lanJob) straggler(h int, markers ...string) *lan.Proc {
	j.t.Helper()
	text := map[string]string{}
	var args []string
	for _, m := range markers {
		if name, d, ok := strings.Cut(m, "="); ok {
			text[name] = d
		} else {
			args = append(args, m)
		}
	}
	return j.worker(h, "straggler", text, nil, args...)
}

// waitCoordinator wants the coordinator to exit 0 within lanJobTimeout.
func (j *lanJob) waitCoordinator() {
	j.t.Helper()
	c := j.hosts[0]
	status, ok := c.Wait(lanJobTimeout)
	switch {
	case !ok:
		j.t.Fatalf("the job did not end within %s", lanJobTimeout)
	case status != 0:
		j.t.Fatalf("coordinator exited with status %d: %s", status, c.LastLine())
	}
}

// waitWorkers wants the workers on hosts to exit 0 within lanWorkerExit.
func (j *lanJob) waitWorkers(hosts ...int) {
	j.t.Helper()
	for _, h := range hosts {
		status, ok := j.hosts[h].Wait(lanWorkerExit)
		switch {
		case !ok:
			j.t.Fatalf("the worker on host %d was still running %s after the job ended", h, lanWorkerExit)
		case status != 0:
			j.t.Fatalf("the worker on host %d exited with status %d after the job: %s", h, status, j.hosts[h].LastLine())
		}
	}
}

// checkOutput wants mr-APP-all collected from host 0 to be mrsequential's
// output of ref.
func (j *lanJob) checkOutput(app, ref string) {
	j.t.Helper()
	got, err := os.ReadFile(filepath.Join(j.hosts[0].Out, "mr-"+app+"-all"))
	if err != nil {
		j.t.Fatalf("no mr-%s-all came back from host 0: %v", app, err)
	}
	if want := expected(j.t, ref); !bytes.Equal(got, want) {
		j.t.Fatalf("mr-%s-all (%d bytes) differs from mrsequential %s.so's output (%d bytes)", app, len(got), ref, len(want))
	}
}

// summary is the job summary collected from host 0.
func (j *lanJob) summary() *protocol.Summary {
	j.t.Helper()
	files, _ := filepath.Glob(filepath.Join(j.hosts[0].Out, "mr-*-summary.json"))
	if len(files) != 1 {
		j.t.Fatalf("want one job summary from host 0, found %v", files)
	}
	return readSummary(j.t, files[0])
}

// readSummary reads a job summary.
func readSummary(t *testing.T, file string) *protocol.Summary {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s protocol.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", filepath.Base(file), err)
	}
	return &s
}

// expectCounts wants the job to have had nFiles maps, nReduce reduces,
// these attempt counts and workers.
func (j *lanJob) expectCounts(s *protocol.Summary, mapAttempts, reduceAttempts, workers int) {
	j.t.Helper()
	got := [5]int{s.Maps, s.Reduces, s.MapAttempts, s.ReduceAttempts, len(s.Workers)}
	if want := [5]int{nFiles, nReduce, mapAttempts, reduceAttempts, workers}; got != want {
		j.t.Fatalf("job summary: maps, reduces, map attempts, reduce attempts, workers are %v, want %v", got, want)
	}
}

// status is the running coordinator's GET /status, read from host 0's
// namespace.
func (j *lanJob) status() (*protocol.Status, error) {
	return statusOf(j.client, j.net.Coord(), j.secret)
}

// waitStatus polls /status until ok holds and returns that status; it
// fails the test if the coordinator exits first or d passes.
func (j *lanJob) waitStatus(d time.Duration, what string, ok func(*protocol.Status) bool) *protocol.Status {
	j.t.Helper()
	st, err := j.pollStatus(d, ok)
	if err != nil {
		j.t.Fatalf("no %s within %s: %v", what, d, err)
	}
	return st
}

// pollStatus polls /status every 50 ms until ok holds or d passes.
func (j *lanJob) pollStatus(d time.Duration, ok func(*protocol.Status) bool) (*protocol.Status, error) {
	var last *protocol.Status
	var err error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		if last, err = j.status(); err == nil && ok(last) {
			return last, nil
		}
		if status, exited := j.hosts[0].Wait(50 * time.Millisecond); exited {
			return nil, fmt.Errorf("the coordinator exited with status %d: %s", status, j.hosts[0].LastLine())
		}
	}
	if err == nil {
		err = fmt.Errorf("last status: phase %s, maps %d/%d, reduces %d/%d, workers %+v", last.Phase, last.MapsDone,
			last.Maps, last.ReducesDone, last.Reduces, last.WorkerCounts)
	}
	return nil, err
}

// waitLog waits up to d for a line of host h's log to match re (the test
// apps' own lines: "straggler: Reduce sleeping ...").
func (j *lanJob) waitLog(h int, re string, d time.Duration, what string) {
	j.t.Helper()
	rx := regexp.MustCompile("(?m)" + re)
	for deadline := time.Now().Add(d); !rx.MatchString(j.hosts[h].Output()); {
		if time.Now().After(deadline) {
			j.t.Fatalf("%s within %s", what, d)
		}
		if status, exited := j.hosts[h].Wait(50 * time.Millisecond); exited {
			j.t.Fatalf("%s: host %d's process exited with status %d: %s", what, h, status, j.hosts[h].LastLine())
		}
	}
}

// hostWorker is the latest worker of host h on st: its id and the attempt
// it runs.
func (j *lanJob) hostWorker(st *protocol.Status, h int) (id, current string) {
	for _, w := range st.WorkerList.Rows {
		if strings.HasPrefix(w.Addr, j.net.Addr(h)+":") {
			id, current = w.ID, w.Current
		}
	}
	return id, current
}

// hostOf is the host whose address addr (host:port) is.
func (j *lanJob) hostOf(addr string) int {
	for h := 1; h < 4; h++ {
		if strings.HasPrefix(addr, j.net.Addr(h)+":") {
			return h
		}
	}
	return -1
}

// mapsWon are the map tasks st shows won by worker id.
func mapsWon(st *protocol.Status, id string) []string {
	var tasks []string
	for _, r := range st.Tasks.Rows {
		for _, a := range r.Attempts {
			if a.Outcome == "won" && a.Worker == id && strings.HasPrefix(r.Task, "map-") {
				tasks = append(tasks, r.Task)
			}
		}
	}
	return tasks
}

// checkRedone wants the map tasks owned, once won by worker id, to have
// run exactly once more, every other map task once, and id, gone, to win
// no map task.
func (j *lanJob) checkRedone(s *protocol.Summary, id string, owned []string) {
	j.t.Helper()
	for _, task := range s.Tasks {
		if !strings.HasPrefix(task.Task, "map-") {
			continue
		}
		want := 1
		if slices.Contains(owned, task.Task) {
			want = 2
		}
		if len(task.Attempts) != want {
			j.t.Errorf("%s ran %d times, want %d (%s held %v)", task.Task, len(task.Attempts), want, id, owned)
		}
		for _, a := range task.Attempts {
			if a.ID == task.Winner && a.Worker == id {
				j.t.Errorf("%s, gone, still wins %s", id, task.Task)
			}
		}
	}
}

// outcome is how attempt id ended, per the summary.
func outcome(s *protocol.Summary, id string) string {
	for _, task := range s.Tasks {
		for _, a := range task.Attempts {
			if a.ID == id {
				return a.Outcome
			}
		}
	}
	return "(no such attempt)"
}

// task is the summary's task name.
func task(s *protocol.Summary, name string) *protocol.TaskSummary {
	for i := range s.Tasks {
		if s.Tasks[i].Task == name {
			return &s.Tasks[i]
		}
	}
	return &protocol.TaskSummary{Task: name}
}

// noSecretInLogs wants the job's secret in none of the LAN's logs.
func (j *lanJob) noSecretInLogs() {
	j.t.Helper()
	logs, _ := filepath.Glob(j.path("*.log"))
	for _, l := range logs {
		if b, _ := os.ReadFile(l); bytes.Contains(b, []byte(j.secret)) {
			j.t.Fatalf("the secret appears in %s", filepath.Base(l))
		}
	}
}

// kill sends sig to host h's process.
func (j *lanJob) kill(h int, sig syscall.Signal) {
	j.t.Helper()
	if err := j.hosts[h].Signal(sig); err != nil {
		j.t.Fatal(err)
	}
}
