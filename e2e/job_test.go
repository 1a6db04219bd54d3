// job_test.go runs a job: a coordinator in coord/ (holding a copy of the
// inputs, passed by relative names), its -out in out/, workers in w1/,
// w2/, ..., the markers the test apps share in markers/; it reads /status
// and the summary, and checks the outputs.

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// job is one job of a test and its processes.
type job struct {
	t       testing.TB
	dir     string   // the job's directory
	coord   *proc    // the coordinator running now
	addr    string   // its host:port
	secret  string   // MR_SECRET of every process, if any
	inputs  []string // the inputs' names in coord/
	workers []*proc
	args    []string // the coordinator's flags, for a restart
	bin     string   // where mrcoordinator and mrworker are, if not binDir
	apps    string   // where the workers' plugins are, if not binDir
	journal bool     // out/ may hold the journal
}

// newJob makes a job's directories in a fresh directory of the test.
func newJob(t testing.TB) *job {
	t.Helper()
	skipShort(t)
	j := &job{t: t, dir: t.TempDir(), inputs: slices.Clone(inputs)}
	for _, d := range []string{"coord", "out", "markers"} {
		if err := os.MkdirAll(j.path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range inputs {
		if err := os.Link(filepath.Join(inDir, in), j.path("coord", in)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { checkLogs(t, j.dir) })
	return j
}

// path is a file of the job's directory.
func (j *job) path(elem ...string) string {
	return filepath.Join(append([]string{j.dir}, elem...)...)
}

// env is what every process of the job gets.
func (j *job) env() []string {
	if j.secret == "" {
		return nil
	}
	return []string{"MR_SECRET=" + j.secret}
}

// startCoordinator starts the coordinator on 127.0.0.1:0 (args may name
// another -addr: the last one counts) with nReduce reduces and the
// inputs, and waits for its address.
func (j *job) startCoordinator(args ...string) {
	j.t.Helper()
	addrFile := j.path("coord.addr")
	os.Remove(addrFile)
	j.args = args
	// -pack-size 1: one map task per input, as the cases count them
	// (files under the split size are packed by default).
	all := append([]string{"-addr", "127.0.0.1:0", "-addr-file", addrFile, "-nreduce", fmt.Sprint(nReduce),
		"-out", j.path("out"), "-pack-size", "1"}, args...)
	j.coord = start(j.t, j.nextLog("coordinator"), j.path("coord"), j.env(), j.command("mrcoordinator"), append(all, j.inputs...)...)
	for deadline := time.Now().Add(quickExit); ; {
		if b, err := os.ReadFile(addrFile); err == nil && strings.Contains(string(b), ":") {
			j.addr = strings.TrimSpace(string(b))
			return
		}
		if status, ok := j.coord.wait(20 * time.Millisecond); ok {
			j.t.Fatalf("the coordinator exited with status %d before listening: %s", status, j.coord.lastLine())
		}
		if time.Now().After(deadline) {
			j.t.Fatalf("the coordinator wrote no address file within %s", quickExit)
		}
	}
}

// command is the path of the binary name for the job's processes.
func (j *job) command(name string) string {
	if j.bin == "" {
		return name
	}
	return filepath.Join(j.bin, name)
}

// nextLog is NAME.log in the job's directory, or NAME-2.log, ... when it
// exists (a coordinator started again).
func (j *job) nextLog(name string) string {
	p := j.path(name + ".log")
	for i := 2; ; i++ {
		if _, err := os.Stat(p); err != nil {
			return p
		}
		p = j.path(fmt.Sprintf("%s-%d.log", name, i))
	}
}

// startWorker starts a worker of app.so in the directory name (its -dir
// name/run), with args before the plugin; a marker file written to
// name/ before the start is seen by that worker's app alone.
func (j *job) startWorker(name, app string, args ...string) *proc {
	j.t.Helper()
	dir := j.path(name)
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		j.t.Fatal(err)
	}
	env := append(j.env(), "COORDINATOR_HOST="+j.addr, "MR_MARKER_DIR="+j.path("markers"))
	apps := binDir
	if j.apps != "" {
		apps = j.apps
	}
	all := append(append([]string{"-dir", filepath.Join(dir, "run")}, args...), filepath.Join(apps, app+".so"))
	p := start(j.t, j.path(name+".log"), dir, env, j.command("mrworker"), all...)
	j.workers = append(j.workers, p)
	return p
}

// run starts the coordinator and n workers w1 .. wN of app.
func (j *job) run(app string, n int, args ...string) {
	j.t.Helper()
	j.startCoordinator(args...)
	for i := 1; i <= n; i++ {
		j.startWorker(fmt.Sprintf("w%d", i), app)
	}
}

// finish wants the coordinator to exit 0, then every worker too.
func (j *job) finish() {
	j.t.Helper()
	j.coord.mustExit(j.t, jobTimeout, 0)
	for _, w := range j.workers {
		w.mustExit(j.t, exitTimeout, 0)
	}
}

// writeMarker writes a marker file (relative to the job's directory).
func (j *job) writeMarker(name, contents string) {
	j.t.Helper()
	if err := os.WriteFile(j.path(name), []byte(contents), 0o644); err != nil {
		j.t.Fatal(err)
	}
}

// unauthorized is a refusal of GET /status, naming the job whose
// read-only token it wants.
type unauthorized string

func (u unauthorized) Error() string { return "GET /status: 401 for job " + string(u) }

// statusBody is GET /status's body from the coordinator at addr through
// c, with token if not "".
func statusBody(c *http.Client, addr, token string) ([]byte, error) {
	url := "http://" + addr + protocol.PathStatus
	if token != "" {
		url += "?" + protocol.TokenParam + "=" + token
	}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	switch {
	case err != nil:
		return nil, err
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, unauthorized(resp.Header.Get(protocol.JobHeader))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET /status: %s", resp.Status)
	}
	return b, nil
}

// statusOf is GET /status of the coordinator at addr through c, with the
// read-only token derived from secret when the job has one.
func statusOf(c *http.Client, addr, secret string) (*protocol.Status, error) {
	b, err := statusBody(c, addr, "")
	var ue unauthorized
	if errors.As(err, &ue) && secret != "" {
		b, err = statusBody(c, addr, protocol.StatusToken([]byte(secret), string(ue)))
	}
	if err != nil {
		return nil, err
	}
	var st protocol.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("GET /status: %v", err)
	}
	return &st, nil
}

// status is GET /status of the running coordinator.
func (j *job) status() (*protocol.Status, error) {
	return statusOf(&http.Client{Timeout: 10 * time.Second}, j.addr, j.secret)
}

// waitStatus polls /status every 10 ms until ok holds, and returns that
// status; it fails the test if the coordinator exits first or d passes.
func (j *job) waitStatus(d time.Duration, what string, ok func(*protocol.Status) bool) *protocol.Status {
	j.t.Helper()
	var last *protocol.Status
	var err error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		if last, err = j.status(); err == nil && ok(last) {
			return last
		}
		if status, exited := j.coord.wait(10 * time.Millisecond); exited {
			j.t.Fatalf("waiting for %s: the coordinator exited with status %d: %s", what, status, j.coord.lastLine())
		}
	}
	j.t.Fatalf("no %s within %s; last status %+v (%v)", what, d, last, err)
	return nil
}

// summary is the job summary mr-APP-summary.json.
func (j *job) summary(app string) *protocol.Summary {
	j.t.Helper()
	b, err := os.ReadFile(j.path("out", "mr-"+app+"-summary.json"))
	if err != nil {
		j.t.Fatal(err)
	}
	var s protocol.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		j.t.Fatalf("mr-%s-summary.json: %v", app, err)
	}
	return &s
}

// worker is the summary's worker with id.
func worker(s *protocol.Summary, id string) *protocol.WorkerSummary {
	for i := range s.Workers {
		if s.Workers[i].ID == id {
			return &s.Workers[i]
		}
	}
	return nil
}

var outRE = regexp.MustCompile(`^mr-out-([0-9]+)$`)

// checkFiles wants out/ to hold exactly mr-out-0 .. mr-out-(R-1),
// mr-APP-all, the summary, the coordinator's lock (and the journal of a
// journaled job): no temp or other files; and mr-APP-all the lines of
// the mr-out-*.
func (j *job) checkFiles(app string) []byte {
	j.t.Helper()
	entries, err := os.ReadDir(j.path("out"))
	if err != nil {
		j.t.Fatal(err)
	}
	var parts [][]byte
	seen := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		seen[n] = true
		if m := outRE.FindStringSubmatch(n); m != nil && len(m[1]) <= 2 && atoi(m[1]) < nReduce {
			b, _ := os.ReadFile(j.path("out", n))
			parts = append(parts, b)
			continue
		}
		if n == "mr-"+app+"-all" || n == "mr-"+app+"-summary.json" || n == ".mr-coordinator.lock" ||
			(j.journal && n == "mr-job.journal") {
			continue
		}
		j.t.Errorf("unexpected file in the output directory: %s", n)
	}
	for y := 0; y < nReduce; y++ {
		if !seen[fmt.Sprintf("mr-out-%d", y)] {
			j.t.Fatalf("mr-out-%d is missing", y)
		}
	}
	all, err := os.ReadFile(j.path("out", "mr-"+app+"-all"))
	if err != nil {
		j.t.Fatalf("mr-%s-all is missing", app)
	}
	if !bytes.Equal(sortedLines(bytes.Join(parts, nil)), sortedLines(all)) {
		j.t.Fatalf("mr-%s-all does not hold the same lines as mr-out-*", app)
	}
	return all
}

// checkOutputs is checkFiles, and mr-APP-all equal to mrsequential's
// output of ref (default app) byte for byte.
func (j *job) checkOutputs(app string, ref ...string) {
	j.t.Helper()
	all := j.checkFiles(app)
	want := expected(j.t, append(ref, app)[0])
	if !bytes.Equal(all, want) {
		j.t.Fatalf("mr-%s-all (%d bytes) differs from mrsequential's output (%d bytes)", app, len(all), len(want))
	}
}

// sortedLines is b's lines, sorted bytewise.
func sortedLines(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	slices.SortFunc(lines, bytes.Compare)
	return bytes.Join(lines, nil)
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// markers lists the marker files whose names start with prefix.
func (j *job) markers(prefix string) []string {
	entries, _ := os.ReadDir(j.path("markers"))
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}
