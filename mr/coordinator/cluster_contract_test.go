// The app contract in a cluster: split sizes and whole files, a newline
// in a value, ReduceEmit, a whole-files worker refused by a cut job,
// a coordinator host that does not resolve, packing.

package coordinator_test

import (
	"context"
	"errors"
	"iter"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"mapreduce/internal/input"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/executor"
	"mapreduce/mr/worker"
)

// docFreq is the README's docfreq as Go functions; naive, its Reduce
// counts values (one per split a word is in), not distinct file names.
func docFreq(naive bool) *mr.App {
	return &mr.App{
		Name: "docfreq",
		Map: func(name, contents string) []mr.KeyValue {
			words := strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
			slices.Sort(words)
			var kvs []mr.KeyValue
			for _, w := range slices.Compact(words) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: name})
			}
			return kvs
		},
		Reduce: func(_ string, values []string) string {
			if naive {
				return strconv.Itoa(len(values))
			}
			return strconv.Itoa(len(slices.Compact(slices.Sorted(slices.Values(values)))))
		},
	}
}

// sequentialAt is mrsequential's output at split size split, or with
// whole files (split 0).
func sequentialAt(t *testing.T, app *mr.App, inputs []string, split int64) string {
	t.Helper()
	opt := input.Options{Split: split, Pack: 1}
	if split == 0 {
		opt.Split, opt.WholeFiles = input.DefaultSplit, true
	}
	out := filepath.Join(t.TempDir(), "ref")
	if err := executor.Sequential(app, inputs, opt, executor.Reference{}, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runAll runs a job of app over inputs with cfg and returns mr-<app>-all.
func runAll(t *testing.T, cfg coordinator.Config, inputs []string, app *mr.App) string {
	t.Helper()
	cl := Start(t, cfg, inputs, app, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, "mr-"+app.Name+"-all"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A job at a split size smaller than its inputs writes exactly what
// mrsequential -split-size writes at that size; a docfreq written the
// naive way then fails cmp against the reference (whole files), the
// README's docfreq does not.
func TestNaiveDocfreqFailsTheReferenceAtTheJobsSplitSize(t *testing.T) {
	inputs := Inputs(t, 3) // 2,000 to 5,000 bytes each
	cfg := Config(t.TempDir())
	cfg.SplitSize = 1000
	for _, naive := range []bool{true, false} {
		app := docFreq(naive)
		cfg.OutDir = t.TempDir()
		got := runAll(t, cfg, inputs, app)
		if split := sequentialAt(t, app, inputs, cfg.SplitSize); got != split {
			t.Fatalf("naive %t: the job differs from mrsequential -split-size %d", naive, cfg.SplitSize)
		}
		if ref := sequentialAt(t, app, inputs, 0); (got == ref) == naive {
			t.Fatalf("naive %t: the job at -split-size %d equals the reference: %t", naive, cfg.SplitSize, got == ref)
		}
	}
}

// A job of an app that needs whole files cuts no input, however large,
// and matches the reference.
func TestWholeFilesJobCutsNoInput(t *testing.T) {
	inputs := Inputs(t, 3)
	cfg := Config(t.TempDir())
	cfg.SplitSize, cfg.WholeFiles = 1000, true
	app := docFreq(true)
	cl := Start(t, cfg, inputs, app, 2)
	if n := cl.C.Summary().Maps; n != len(inputs) {
		t.Fatalf("%d map tasks for %d inputs, want one each", n, len(inputs))
	}
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
}

// A Reduce value holding a newline fails the job as the app's fault
// (attempts failed, class app), naming the key, with no worker excluded
// and no broken line written.
func TestNewlineInAValueFailsTheJobNamingTheKey(t *testing.T) {
	inputs := Inputs(t, 2)
	app := WordCount()
	reduce := app.Reduce
	app.Reduce = func(key string, values []string) string {
		if key == "gamma" {
			return "two\nlines"
		}
		return reduce(key, values)
	}
	cfg := Config(t.TempDir())
	cfg.SetMaxFailures(2)
	cl := Start(t, cfg, inputs, app, 2)
	want := `Reduce("gamma") returned a value holding a newline`
	if err := cl.Wait(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("job ended with %v, want an error saying %q", err, want)
	}
	cl.WaitWorkers() // every report is in
	for _, w := range cl.C.Summary().Workers {
		if w.Excluded != "" { // its attempts failed as the app's: no worker is to blame
			t.Errorf("%s excluded: %s", w.ID, w.Excluded)
		}
	}
	if all, err := os.ReadFile(filepath.Join(cfg.OutDir, "mr-wc-all")); err == nil {
		t.Fatalf("mr-wc-all written (%d bytes) by a failed job", len(all))
	}
}

// ReduceEmit may leave a key out or give it several lines: the job
// writes what mrsequential writes.
func TestReduceEmitInTheCluster(t *testing.T) {
	inputs := Inputs(t, 3)
	app := WordCount()
	app.ReduceEmit = func(key string, values iter.Seq[string], emit func(string)) {
		n := 0
		for range values {
			n++
		}
		if strings.HasPrefix(key, "a") { // alpha, Alpha: left out
			return
		}
		emit(strconv.Itoa(n))
		if key == "x" {
			emit("again")
		}
	}
	cl := Start(t, Config(t.TempDir()), inputs, app, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	all, _ := os.ReadFile(filepath.Join(cl.Out, "mr-wc-all"))
	if strings.Contains(string(all), "alpha ") || !strings.Contains(string(all), "\nx again\n") {
		t.Fatalf("mr-wc-all:\n%s", all)
	}
}

// A worker whose app needs whole files is refused by a job that cut an
// input, in one line saying what to do; it never computes a wrong answer.
func TestWholeFilesWorkerRefusedByACutJob(t *testing.T) {
	inputs := Inputs(t, 2)
	cfg := Config(t.TempDir())
	cfg.SplitSize = 1000
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { c.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }() // before its -out is removed
	app := docFreq(false)
	app.WholeFiles = true
	w, err := worker.New(WorkerConfig(c.Addr(), cfg, app, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker was not refused within 30 s")
	}
	want := "mr: the app docfreq needs whole files (its plugin exports WholeFiles = true), but this job cut " + inputs[0]
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "-whole-files") {
		t.Fatalf("worker ended with %v, want an error saying %q", err, want)
	}
}

// A coordinator's host name that no resolver knows (a typo) ends the
// worker at once, in one line, rather than after -wait-coordinator.
func TestWorkerOfNoSuchHostEndsAtOnce(t *testing.T) {
	const host = "coordinatr.invalid"
	var dns *net.DNSError
	if _, err := net.LookupHost(host); !errors.As(err, &dns) || !dns.IsNotFound {
		t.Skipf("this machine's resolver does not say %s is no such host: %v", host, err)
	}
	cfg := Config(t.TempDir())
	wc := WorkerConfig(host+":1234", cfg, WordCount(), t.TempDir())
	wc.WaitCoordinator = time.Hour
	w, err := worker.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker still waits for a host that does not exist")
	}
	if want := "mr: coordinator " + host + ":1234: no such host " + host; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("worker ended with %v, want %q", err, want)
	}
}

// With the default packing (every input under the split size packed, a
// tenth of slop), a job still writes what mrsequential -split-size writes
// at its split size: Map is called on the same pieces, once per file.
func TestPackedJobEqualsSequentialAtItsSplitSize(t *testing.T) {
	inputs := Inputs(t, 6) // 5,600 to 12,400 bytes each: 4 tasks
	cfg := Config(t.TempDir())
	cfg.SplitSize, cfg.PackSize = 16000, 0
	app := docFreq(true)
	cl := Start(t, cfg, inputs, app, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, "mr-"+app.Name+"-all"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	opt := input.Options{Split: cfg.SplitSize}
	tasks, _, err := input.Tasks(inputs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum := cl.SummaryFile(); sum.Maps != len(tasks) || len(tasks) >= len(inputs) {
		t.Fatalf("%d map tasks, input.Tasks cuts %d for %d inputs", sum.Maps, len(tasks), len(inputs))
	}
	out := filepath.Join(t.TempDir(), "ref")
	if err := executor.Sequential(app, inputs, opt, executor.Reference{}, out); err != nil {
		t.Fatal(err)
	}
	if want, err := os.ReadFile(out); err != nil || got != string(want) {
		t.Fatalf("the packed job differs from mrsequential -split-size %d (%v)", cfg.SplitSize, err)
	}
}
