// Tests of the executor on real child processes: the test binary run again as the app's process.

package executor

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// The executor's tests run real child processes: the test binary runs
// itself as the executor (TestMain, MR_TEST_EXECUTOR=1) with poisonApp,
// whose Map misbehaves according to the input's name.

func TestMain(m *testing.M) {
	if os.Getenv("MR_TEST_EXECUTOR") == "unloadable" {
		serve(nil, errors.New("mr: plugin app.so: built with another toolchain"), os.NewFile(3, "tasks"), os.NewFile(4, "results"))
		os.Exit(1)
	}
	if os.Getenv("MR_TEST_EXECUTOR") == "stream" {
		if err := ServeStream(os.NewFile(3, "tasks"), os.NewFile(4, "results")); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("MR_TEST_EXECUTOR") == "bench" {
		if err := serve(benchApp(), nil, os.NewFile(3, "tasks"), os.NewFile(4, "results")); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("MR_TEST_EXECUTOR") == "1" {
		if err := serve(poisonApp(), nil, os.NewFile(3, "tasks"), os.NewFile(4, "results")); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// poisonApp is word count whose Map exits on "exit*", panics in a
// goroutine of its own on "panic*", never returns on "hang*" and eats
// memory on "hog*".
func poisonApp() *mr.App {
	app := &mr.App{Name: "poison", Reduce: func(_ string, vs []string) string { return strconv.Itoa(len(vs)) }}
	mapFn := func(_, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for _, w := range strings.Fields(contents) {
			kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
		}
		return kvs
	}
	app.Map = func(name, contents string) []mr.KeyValue {
		switch base := filepath.Base(name); {
		case strings.HasPrefix(base, "exit"):
			os.Stderr.WriteString("poison: exiting with status 3\n")
			os.Exit(3)
		case strings.HasPrefix(base, "panic"):
			go func() { panic("poison in a goroutine") }()
			select {}
		case strings.HasPrefix(base, "hang"):
			select {}
		case strings.HasPrefix(base, "hog"):
			var hoard [][]byte
			for {
				b := make([]byte, 16<<20)
				for i := 0; i < len(b); i += 4096 { // touch every page
					b[i] = 1
				}
				hoard = append(hoard, b)
			}
		}
		return mapFn(name, contents)
	}
	return app
}

// childForTest is an executor running this test binary, with a memory
// limit of 256 MiB and no attempt limit.
func childForTest(t *testing.T) *Child {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := NewChild([]string{exe}, io.Discard)
	e.setEnv([]string{"MR_TEST_EXECUTOR=1"})
	e.SetLimits(0, 256<<20)
	t.Cleanup(e.Close)
	return e
}

// mapTaskFor writes contents as a split and describes its map attempt.
func mapTaskFor(t *testing.T, dir, input, contents string) *Task {
	split := filepath.Join(dir, "split-"+input)
	if err := os.WriteFile(split, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 2,
		Inputs: []Input{{Name: input, Length: int64(len(contents))}}, SplitPath: split,
		Out: filepath.Join(dir, "out-"+input), Spill: filepath.Join(dir, "spill-"+input), MapBuffer: 1 << 20}
}

func TestExecutorSurvivesItsApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	e := childForTest(t)
	dir := t.TempDir()
	tests := []struct {
		input string
		limit time.Duration // the attempt limit: only the hang needs one
		want  string        // in the failure's text
	}{
		{"exit.txt", 0, "Map(exit.txt) exited with status 3: poison: exiting with status 3"},
		{"panic.txt", 0, "Map(panic.txt) exited with status 2: panic: poison in a goroutine"},
		{"hang.txt", 500 * time.Millisecond, "Map(hang.txt) made no progress for 500ms"},
		{"hog.txt", 0, "Map(hog.txt) used"},
	}
	for _, tt := range tests {
		e.SetLimits(tt.limit, 256<<20)
		res := e.Run(context.Background(), mapTaskFor(t, dir, tt.input, "some words\n"), func(int64) {})
		if !res.App || !strings.Contains(res.Err, tt.want) {
			t.Errorf("%s: result %+v, want an app failure saying %q", tt.input, res, tt.want)
		}
		// The next attempt gets a fresh executor and succeeds.
		res = e.Run(context.Background(), mapTaskFor(t, dir, "good.txt", "some good words\n"), func(int64) {})
		if res.Err != "" || res.Written == 0 {
			t.Fatalf("after %s, a good attempt: %+v", tt.input, res)
		}
	}
}

func TestExecutorStopsWithItsContext(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	e := childForTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- e.Run(ctx, mapTaskFor(t, t.TempDir(), "hang.txt", "x\n"), func(int64) {}) }()
	cancel()
	select {
	case res := <-done:
		if res.App || !strings.HasPrefix(res.Err, "stopped") {
			t.Fatalf("result %+v, want stopped", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a hung attempt outlived its context")
	}
}

// A plugin that cannot load is Start's error at once, in the child's words.
func TestExecutorSaysWhyTheAppDidNotLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	e := childForTest(t)
	e.setEnv([]string{"MR_TEST_EXECUTOR=unloadable"})
	if err := e.Start(); err == nil || err.Error() != "mr: plugin app.so: built with another toolchain" {
		t.Fatalf("Start = %v", err)
	}
	res := e.Run(context.Background(), mapTaskFor(t, t.TempDir(), "good.txt", "x\n"), func(int64) {})
	if !res.failed() || res.App {
		t.Fatalf("an attempt without the app: %+v, want the worker's failure", res)
	}
}

// A map task of several inputs calls Map once per input, with its name and
// its bytes only, and counts the lines of each.
func TestMapCalledPerInput(t *testing.T) {
	dir := t.TempDir()
	split := filepath.Join(dir, "split")
	if err := os.WriteFile(split, []byte("a b\nc\nd e f"), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls []string
	app := &mr.App{Name: "t", Reduce: func(string, []string) string { return "" },
		Map: func(name, contents string) []mr.KeyValue {
			calls = append(calls, name+"="+contents)
			return []mr.KeyValue{{Key: name, Value: "1"}}
		}}
	task := &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 1, SplitPath: split,
		Inputs: []Input{{"one.txt", 6}, {"two.txt", 0}, {"three.txt", 5}},
		Out:    filepath.Join(dir, "out"), Spill: filepath.Join(dir, "spill"), MapBuffer: 1 << 20}
	res := InProcess{App: app}.Run(context.Background(), task, func(int64) {})
	if res.failed() || strings.Join(calls, "|") != "one.txt=a b\nc\n|two.txt=|three.txt=d e f" {
		t.Fatalf("result %+v, calls %q", res, calls)
	}
	if res.Counters.MapInputRecords != 3 || res.Counters.MapOutputRecords != 3 {
		t.Fatalf("counters %+v", res.Counters)
	}
	task.Inputs[2].Length = 4 // the split is longer than its inputs
	if res := (InProcess{App: app}).Run(context.Background(), task, func(int64) {}); !res.failed() {
		t.Fatal("a split longer than its inputs was mapped")
	}
}

// A task's heap limit becomes its process's: an app's process is started
// before its worker knows the job's split size.
func TestTaskSetsTheHeapLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer func() { debug.SetMemoryLimit(old); heapLimit.Store(0) }()
	dir := t.TempDir()
	task := mapTaskFor(t, dir, "good.txt", "some words\n")
	task.HeapLimit = 123 << 20
	if res := (InProcess{App: poisonApp()}).Run(context.Background(), task, func(int64) {}); res.failed() {
		t.Fatalf("%+v", res)
	}
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("heap limit %d after the task, want %d", got, 123<<20)
	}
}

// Under a heap limit a reduce task collects only near it (GOGC off), and
// a map task after it has the process's GOGC back.
func TestCollectorByTaskKind(t *testing.T) {
	start := debug.SetGCPercent(137)
	defer debug.SetGCPercent(start)
	gcPercent() // the process's GOGC, taken once: 137 if not taken before
	want := gcPercent()
	collectFor(protocol.ReduceTask)
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GOGC %d during a reduce task, want -1 (off)", got)
	}
	collectFor(protocol.MapTask)
	if got := debug.SetGCPercent(want); got != want {
		t.Fatalf("GOGC %d during a map task after a reduce task, want %d", got, want)
	}
}
