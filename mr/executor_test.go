package mr

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// The executor's tests run real child processes: the test binary runs
// itself as the executor (TestMain, MR_TEST_EXECUTOR=1) with poisonApp,
// whose Map misbehaves according to the input's name.

func TestMain(m *testing.M) {
	if os.Getenv("MR_TEST_EXECUTOR") == "1" {
		if err := ServeExecutor(poisonApp(), os.NewFile(3, "tasks"), os.NewFile(4, "results")); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// poisonApp is word count whose Map exits on "exit*", panics in a
// goroutine of its own on "panic*", never returns on "hang*" and eats
// memory on "hog*".
func poisonApp() *App {
	app := wordCount()
	mapFn := app.Map
	app.Map = func(name, contents string) []KeyValue {
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

// childForTest is an executor running this test binary, with a short
// attempt limit and a memory limit.
func childForTest(t *testing.T) *childExecutor {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := &childExecutor{command: []string{exe}, memLimit: 256 << 20, tail: &lineKeeper{w: io.Discard}}
	e.setEnv([]string{"MR_TEST_EXECUTOR=1"})
	e.setLimit(500 * time.Millisecond)
	t.Cleanup(e.close)
	return e
}

// mapTaskFor writes contents as a split and describes its map attempt.
func mapTaskFor(t *testing.T, dir, input, contents string) *execTask {
	split := filepath.Join(dir, "split-"+input)
	if err := os.WriteFile(split, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return &execTask{Kind: protocol.MapTask, Name: "map-0.a1", Dir: dir, Task: 0, N: 1, NReduce: 2,
		Input: input, SplitPath: split, MapBuffer: 1 << 20}
}

func TestExecutorSurvivesItsApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	e := childForTest(t)
	dir := t.TempDir()
	tests := []struct {
		input string
		want  string // in the failure's text
	}{
		{"exit.txt", "Map(exit.txt) exited with status 3: poison: exiting with status 3"},
		{"panic.txt", "Map(panic.txt) exited with status 2: panic: poison in a goroutine"},
		{"hang.txt", "Map(hang.txt) made no progress for 500ms"},
		{"hog.txt", "Map(hog.txt) used"},
	}
	for _, tt := range tests {
		res := e.run(context.Background(), mapTaskFor(t, dir, tt.input, "some words\n"), func(int64) {})
		if !res.App || !strings.Contains(res.Err, tt.want) {
			t.Errorf("%s: result %+v, want an app failure saying %q", tt.input, res, tt.want)
		}
		// The next attempt gets a fresh executor and succeeds.
		res = e.run(context.Background(), mapTaskFor(t, dir, "good.txt", "some good words\n"), func(int64) {})
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
	e.setLimit(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan execResult)
	go func() { done <- e.run(ctx, mapTaskFor(t, t.TempDir(), "hang.txt", "x\n"), func(int64) {}) }()
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
