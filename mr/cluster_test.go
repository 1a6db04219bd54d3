package mr

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// In-process clusters: a coordinator and workers as goroutines on
// loopback, with Go functions as the app. Synchronisation is on the
// coordinator's change channel and on gates in the app, never on sleeps;
// the timeouts below only bound how long a broken run can take.

func wordCount() *App {
	return &App{
		Name: "wc",
		Map: func(_, contents string) []KeyValue {
			var kvs []KeyValue
			for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
				kvs = append(kvs, KeyValue{w, "1"})
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

func testInputs(t *testing.T, n int) []string {
	dir := t.TempDir()
	words := []string{"alpha", "beta", "gamma", "delta", "épée", "straße", "кот", "λόγος", "x", "Alpha"}
	var inputs []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := 0; j < 400+97*i; j++ {
			fmt.Fprintf(&b, "%s, %s.", words[(i*7+j*j)%len(words)], words[j%len(words)])
			if j%5 == 4 {
				b.WriteString("\n")
			}
		}
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("in-%d.txt", i), b.String()))
	}
	return inputs
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type cluster struct {
	t       *testing.T
	c       *Coordinator
	workers []*Worker
	cancels []context.CancelFunc
	result  chan error
	out     string
}

func testConfig(out string) Config {
	return Config{Addr: "127.0.0.1:0", NReduce: 4, OutDir: out, HeartbeatTimeout: 1500 * time.Millisecond,
		TaskTimeout: 5 * time.Second, LongPoll: 100 * time.Millisecond, ExitGrace: 500 * time.Millisecond,
		ProgressEvery: time.Second, Logger: quietLogger()}
}

// testWorkerConfig is a worker of a test cluster, with the job's secret.
func testWorkerConfig(addr string, cfg Config) WorkerConfig {
	return WorkerConfig{Coordinator: addr, Listen: "127.0.0.1:0", HeartbeatInterval: 50 * time.Millisecond,
		LostAfter: 2 * time.Second, Secret: cfg.Secret, Logger: cfg.Logger}
}

func startCluster(t *testing.T, cfg Config, inputs []string, app *App, nWorkers int) *cluster {
	t.Helper()
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, c: c, result: make(chan error, 1), out: cfg.OutDir}
	go func() { cl.result <- c.Run(context.Background()) }()
	for i := 0; i < nWorkers; i++ {
		w, err := NewWorker(testWorkerConfig(c.Addr(), cfg), app)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cl.workers, cl.cancels = append(cl.workers, w), append(cl.cancels, cancel)
		go w.Run(ctx)
	}
	t.Cleanup(func() {
		for i, w := range cl.workers {
			cl.cancels[i]()
			w.Close()
		}
	})
	return cl
}

// wait returns the coordinator's result, failing the test after a bound.
func (cl *cluster) wait() error {
	select {
	case err := <-cl.result:
		return err
	case <-time.After(60 * time.Second):
		cl.t.Fatal("job did not finish within 60 s")
		return nil
	}
}

// waitFor blocks until cond holds on the scheduler, checking after every change.
func (cl *cluster) waitFor(what string, cond func(s *scheduler) bool) {
	cl.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		cl.c.mu.Lock()
		ok, ch := cond(cl.c.sched), cl.c.changed
		cl.c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			cl.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// kill stops worker i as a crash would: no more heartbeats, no file server.
func (cl *cluster) kill(i int) {
	cl.cancels[i]()
	cl.workers[i].Close()
}

// summary reads the job summary the coordinator wrote for the wc app.
func (cl *cluster) summary() Summary {
	cl.t.Helper()
	b, err := os.ReadFile(filepath.Join(cl.out, summaryName("wc")))
	if err != nil {
		cl.t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		cl.t.Fatal(err)
	}
	return sum
}

func sequentialOutput(t *testing.T, app *App, inputs []string) string {
	t.Helper()
	want := filepath.Join(t.TempDir(), "mr-out-0")
	if err := Sequential(app, inputs, want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (cl *cluster) checkOutput(app *App, inputs []string) {
	cl.t.Helper()
	want := sequentialOutput(cl.t, app, inputs)
	got, err := os.ReadFile(filepath.Join(cl.out, "mr-"+app.Name+"-all"))
	if err != nil {
		cl.t.Fatal(err)
	}
	if string(got) != want {
		cl.t.Fatalf("mr-%s-all differs from the sequential output:\n got %d bytes\nwant %d bytes", app.Name, len(got), len(want))
	}
	var parts []string
	for r := 0; r < cl.c.cfg.NReduce; r++ {
		b, err := os.ReadFile(filepath.Join(cl.out, fmt.Sprintf("mr-out-%d", r)))
		if err != nil {
			cl.t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	if n := strings.Count(strings.Join(parts, ""), "\n"); n != strings.Count(want, "\n") {
		cl.t.Fatalf("mr-out-* hold %d lines, want %d", n, strings.Count(want, "\n"))
	}
	if tmp, _ := filepath.Glob(filepath.Join(cl.out, ".*tmp")); len(tmp) > 0 {
		cl.t.Fatalf("temp files left visible: %v", tmp)
	}
}

func TestClusterMatchesSequential(t *testing.T) {
	inputs := testInputs(t, 5)
	app := wordCount()
	cl := startCluster(t, testConfig(t.TempDir()), inputs, app, 3)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
	for _, tk := range append(cl.c.sched.maps, cl.c.sched.reduces...) {
		if len(tk.history) != 1 {
			t.Errorf("%s-%d ran %d attempts in a run without failures", tk.kind, tk.index, len(tk.history))
		}
	}
}

func TestClusterSplitsLargeInputs(t *testing.T) {
	inputs := testInputs(t, 2)
	app := wordCount()
	cfg := testConfig(t.TempDir())
	cfg.SplitSize = 1000
	cl := startCluster(t, cfg, inputs, app, 2)
	if n := len(cl.c.splits); n < 10 {
		t.Fatalf("%d splits, want many", n)
	}
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
}

func TestSummaryCountsAttempts(t *testing.T) {
	inputs := testInputs(t, 3)
	app := wordCount()
	cl := startCluster(t, testConfig(t.TempDir()), inputs, app, 2)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	sum := cl.summary()
	if sum.Phase != "done" || sum.MapAttempts != 3 || sum.ReduceAttempts != 4 || len(sum.Workers) != 2 || len(sum.Tasks) != 7 {
		t.Fatalf("summary = %+v", sum)
	}
	won := 0
	for _, w := range sum.Workers {
		won += len(w.Won)
	}
	if won != 7 || sum.Tasks[0].Winner != "map-0.a1" {
		t.Fatalf("%d attempts won, tasks[0] = %+v", won, sum.Tasks[0])
	}
}

// testCorpus makes about n bytes of text with a skewed vocabulary.
func testCorpus(n int) string {
	var b strings.Builder
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("w%cx%dé", 'a'+rune(i%26), i)
		words[i] = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return 'a' + (r - '0')
			}
			return r
		}, words[i])
	}
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[(i*i+7*i)%len(words)%(1+i%len(words))])
		if i%12 == 11 {
			b.WriteString(".\n")
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

// A tiny map buffer forces spills and a tiny fan-in forces merge passes:
// the output must not change.
func TestClusterSpillsAndMergePasses(t *testing.T) {
	inputs := testInputs(t, 5)
	app := wordCount()
	app.Combine = func(k string, vs []string) []string { return []string{app.Reduce(k, vs)} }
	cfg := testConfig(t.TempDir())
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, c: c, result: make(chan error, 1), out: cfg.OutDir}
	go func() { cl.result <- c.Run(context.Background()) }()
	w, err := NewWorker(WorkerConfig{Coordinator: c.Addr(), Listen: "127.0.0.1:0", MapBuffer: 2 << 10,
		MergeFanIn: 2, Logger: cfg.Logger}, app)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go w.Run(context.Background())
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
}

// An app that exports only ReduceSeq gets the same output.
func TestClusterReduceSeq(t *testing.T) {
	inputs := testInputs(t, 3)
	app := wordCount()
	reduce := app.Reduce
	app.Reduce = nil
	app.ReduceSeq = func(key string, values iter.Seq[string]) string { return reduce(key, slices.Collect(values)) }
	cl := startCluster(t, testConfig(t.TempDir()), inputs, app, 2)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
}
