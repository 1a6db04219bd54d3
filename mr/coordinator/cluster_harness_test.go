// cluster_harness_test.go: the harness of the in-process cluster tests
// (cluster_*_test.go, package coordinator_test): a coordinator and workers
// as goroutines on loopback, with Go functions as the app
// (executor.InProcess); word count and its inputs, waiting on the job's
// summary, killing a worker, and checking the output against
// mrsequential. Tests see the job through the coordinator's views (its
// Summary and Changed, which export_test.go shows tests only, /status and
// the summary file), never on sleeps or on another package's fields; the
// bounds here only limit how long a broken run can take.

package coordinator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/executor"
	"mapreduce/mr/worker"
)

// Cluster is a coordinator running a job, and its workers.
type Cluster struct {
	T       testing.TB
	C       *coordinator.Coordinator
	Workers []*worker.Worker
	Dirs    []string // each worker's directory
	App     *mr.App
	Out     string             // the coordinator's output directory
	Ref     executor.Reference // the job's parameters and shape, for Sequential
	cancels []context.CancelFunc
	runs    []chan error // each worker's Run's result, once it returned
	result  chan error
}

// WordCount is word count as Go functions: Map emits (word, "1") per
// maximal run of letters, Reduce sums.
func WordCount() *mr.App {
	return &mr.App{
		Name: "wc",
		Map: func(_, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
			}
			return kvs
		},
		Reduce: func(_ string, values []string) string {
			n := 0
			for _, v := range values {
				k, _ := strconv.Atoi(v)
				n += k
			}
			return strconv.Itoa(n)
		},
	}
}

// Inputs writes n small input files, some of them non-ASCII, and returns
// their paths.
func Inputs(t testing.TB, n int) []string {
	return wordInputs(t, n, []string{"alpha", "beta", "gamma", "delta", "épée", "straße", "кот", "λόγος", "x", "Alpha"}, 400)
}

// wordInputs writes n input files of pairs of words ("w1, w2."), five
// pairs a line, input i of base+97*i pairs, and returns their paths.
func wordInputs(t testing.TB, n int, words []string, base int) []string {
	dir := t.TempDir()
	var inputs []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := 0; j < base+97*i; j++ {
			fmt.Fprintf(&b, "%s, %s.", words[(i*7+j*j)%len(words)], words[j%len(words)])
			if j%5 == 4 {
				b.WriteString("\n")
			}
		}
		inputs = append(inputs, WriteFile(t, dir, fmt.Sprintf("in-%d.txt", i), b.String()))
	}
	return inputs
}

// WriteFile writes contents to dir/name and returns its path.
func WriteFile(t testing.TB, dir, name, contents string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// QuietLogger logs nothing, or everything with go test -v.
func QuietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Config is a coordinator of a test cluster, writing to out: 4 reduces,
// one map task per input (no packing), short timeouts (but a heartbeat
// timeout that a loaded machine does not miss).
func Config(out string) coordinator.Config {
	cfg := coordinator.Config{Addr: "127.0.0.1:0", NReduce: 4, OutDir: out, PackSize: 1, HeartbeatTimeout: 1500 * time.Millisecond,
		TaskTimeout: 5 * time.Second, Logger: QuietLogger()}
	cfg.SetTimings(100*time.Millisecond, 500*time.Millisecond, time.Second)
	return cfg
}

// WorkerConfig is a worker of a test cluster at addr, with the job's
// secret, running app in its own process, in dir. Stopped, it vanishes
// as a crashed worker would (the silent-stop fault), so that Kill is a
// crash; a test of a worker that leaves clears Faults.SilentStop.
func WorkerConfig(addr string, cfg coordinator.Config, app *mr.App, dir string) worker.Config {
	return worker.Config{Coordinator: addr, Listen: "127.0.0.1:0", Dir: dir, App: app.Name, WholeFiles: app.WholeFiles,
		Executor: executor.InProcess{App: app}, LostAfter: 2 * time.Second, Secret: cfg.Secret, Logger: cfg.Logger, Faults: worker.Faults{SilentStop: true}}
}

// Start starts a coordinator with cfg over inputs, and n workers of app.
func Start(t testing.TB, cfg coordinator.Config, inputs []string, app *mr.App, n int) *Cluster {
	t.Helper()
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &Cluster{T: t, C: c, App: app, Out: cfg.OutDir, result: make(chan error, 1),
		Ref: executor.Reference{Params: cfg.Params, NReduce: cfg.NReduce, MapOnly: cfg.MapOnly}}
	go func() { cl.result <- c.Run(context.Background()) }()
	t.Cleanup(cl.stopWorkers)
	for range n {
		cl.AddWorker(WorkerConfig(c.Addr(), cfg, app, t.TempDir()))
	}
	return cl
}

// AddWorker starts one more worker with wc; it is Workers[len-1].
func (cl *Cluster) AddWorker(wc worker.Config) *worker.Worker {
	cl.T.Helper()
	w, err := worker.New(wc)
	if err != nil {
		cl.T.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := make(chan error, 1)
	cl.Workers, cl.cancels, cl.Dirs = append(cl.Workers, w), append(cl.cancels, cancel), append(cl.Dirs, wc.Dir)
	cl.runs = append(cl.runs, run)
	go func() { run <- w.Run(ctx) }()
	return w
}

// Join starts one more worker with wc, as AddWorker, and waits until the
// job's summary lists it: it returns the worker as the summary has it,
// with its id and its address (its run-file server's, but for an
// Advertise). No other worker may be joining meanwhile.
func (cl *Cluster) Join(wc worker.Config) protocol.WorkerSummary {
	cl.T.Helper()
	known := map[string]bool{}
	for _, w := range cl.C.Summary().Workers {
		known[w.ID] = true
	}
	cl.AddWorker(wc)
	var joined protocol.WorkerSummary
	cl.WaitFor("the worker joined", func(sum protocol.Summary) bool {
		for _, w := range sum.Workers {
			if !known[w.ID] {
				joined = w
				return true
			}
		}
		return false
	})
	return joined
}

// waitRun waits until worker i's Run has returned, and returns its result.
func (cl *Cluster) waitRun(i int) error {
	cl.T.Helper()
	select {
	case err := <-cl.runs[i]:
		cl.runs[i] <- err // for the next caller
		return err
	case <-time.After(60 * time.Second):
		cl.T.Fatalf("worker %d still running after 60 s", i)
		return nil
	}
}

// WaitWorkers waits until every worker has stopped by itself (told that
// the job is over, or its coordinator lost), and its task loop too: then
// every report it sent is in.
func (cl *Cluster) WaitWorkers() {
	cl.T.Helper()
	for i, w := range cl.Workers {
		cl.waitRun(i)
		w.Close()
	}
}

func (cl *Cluster) stopWorkers() {
	for i, w := range cl.Workers {
		cl.cancels[i]()
		w.Close()
	}
}

// Wait returns the coordinator's result, failing the test after a bound.
func (cl *Cluster) Wait() error {
	select {
	case err := <-cl.result:
		return err
	case <-time.After(60 * time.Second):
		cl.T.Fatal("job did not finish within 60 s")
		return nil
	}
}

// WaitFor blocks until cond holds on the job's summary, checking after
// every change.
func (cl *Cluster) WaitFor(what string, cond func(sum protocol.Summary) bool) {
	cl.T.Helper()
	deadline := time.After(30 * time.Second)
	for {
		ch := cl.C.Changed()
		if cond(cl.C.Summary()) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			cl.T.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Kill stops worker i as a crash would: no more heartbeats, no file
// server, no word to the coordinator (its silent-stop fault).
func (cl *Cluster) Kill(i int) {
	cl.T.Helper()
	cl.cancels[i]()
	cl.waitRun(i)
}

// KillAndFinish kills worker i (id) while the app waits at gate, waits
// until the coordinator declares it dead, opens the gate and waits for the
// job to end with the sequential output over inputs.
func (cl *Cluster) KillAndFinish(i int, id string, gate chan struct{}, inputs []string) {
	cl.T.Helper()
	cl.Kill(i)
	cl.WaitFor("the victim declared dead", func(sum protocol.Summary) bool {
		w, _ := WorkerOf(sum, id)
		return w.Dead
	})
	close(gate)
	if err := cl.Wait(); err != nil {
		cl.T.Fatal(err)
	}
	cl.CheckOutput(inputs)
}

// SummaryFile reads the job summary the coordinator wrote.
func (cl *Cluster) SummaryFile() protocol.Summary {
	cl.T.Helper()
	b, err := os.ReadFile(filepath.Join(cl.Out, "mr-"+cl.App.Name+"-summary.json"))
	if err != nil {
		cl.T.Fatal(err)
	}
	var sum protocol.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		cl.T.Fatal(err)
	}
	return sum
}

// Sequential is what mrsequential writes for app over inputs.
func Sequential(t testing.TB, app *mr.App, inputs []string) string {
	return SequentialOf(t, app, inputs, executor.Reference{})
}

// SequentialOf is what mrsequential writes for app over inputs, for a
// job of the parameters and shape ref.
func SequentialOf(t testing.TB, app *mr.App, inputs []string, ref executor.Reference) string {
	t.Helper()
	want := filepath.Join(t.TempDir(), "mr-out-0")
	if err := executor.Sequential(app, inputs, input.Options{Split: input.DefaultSplit, Pack: 1}, ref, want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CheckOutput checks mr-<app>-all against Sequential, and that the
// mr-out-* hold as many lines and no temp file is left visible.
func (cl *Cluster) CheckOutput(inputs []string) {
	cl.T.Helper()
	want := SequentialOf(cl.T, cl.App, inputs, cl.Ref)
	got, err := os.ReadFile(filepath.Join(cl.Out, "mr-"+cl.App.Name+"-all"))
	if err != nil {
		cl.T.Fatal(err)
	}
	if string(got) != want {
		cl.T.Fatalf("mr-%s-all differs from the sequential output:\n got %d bytes\nwant %d bytes", cl.App.Name, len(got), len(want))
	}
	parts, _ := filepath.Glob(filepath.Join(cl.Out, "mr-out-*"))
	lines := 0
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			cl.T.Fatal(err)
		}
		lines += strings.Count(string(b), "\n")
	}
	if lines != strings.Count(want, "\n") {
		cl.T.Fatalf("mr-out-* hold %d lines, want %d", lines, strings.Count(want, "\n"))
	}
	if tmp, _ := filepath.Glob(filepath.Join(cl.Out, ".*tmp")); len(tmp) > 0 {
		cl.T.Fatalf("temp files left visible: %v", tmp)
	}
}

// Task returns the summary of the task named ("map-3"), failing if none.
func Task(t testing.TB, sum protocol.Summary, name string) protocol.TaskSummary {
	for _, ts := range sum.Tasks {
		if ts.Task == name {
			return ts
		}
	}
	t.Fatalf("no task %s in the summary", name)
	return protocol.TaskSummary{}
}

// Running reports whether the task named has a running attempt.
func Running(sum protocol.Summary, name string) bool {
	for _, ts := range sum.Tasks {
		if ts.Task == name {
			for _, a := range ts.Attempts {
				if a.Outcome == "running" {
					return true
				}
			}
		}
	}
	return false
}

// WorkerOf returns the summary of worker id, and whether there is one.
func WorkerOf(sum protocol.Summary, id string) (protocol.WorkerSummary, bool) {
	for _, w := range sum.Workers {
		if w.ID == id {
			return w, true
		}
	}
	return protocol.WorkerSummary{}, false
}
