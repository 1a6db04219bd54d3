// Tests of map Tasks that share one output kept open in their process
// (Task.Keep, Group, Drop).

package executor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// keepTask writes contents as a split in dir and describes a map Task of
// it, one input, named input, of a group: Keep, Group as given. Its
// spills go to spillDir, where nothing else is.
func keepTask(t *testing.T, dir, spillDir, name, input, contents string, keep bool, group string) *Task {
	t.Helper()
	split := filepath.Join(dir, "split-"+input)
	if err := os.WriteFile(split, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Task{Kind: protocol.MapTask, Name: name, NReduce: 3, Keep: keep, Group: group,
		Inputs: []Input{{Name: input, Length: int64(len(contents))}}, SplitPath: split,
		Out: filepath.Join(dir, "out-"+name), Spill: filepath.Join(spillDir, "spill-"+name), MapBuffer: 1 << 20}
}

// finishTask describes the Task that finishes group's output into out.
func finishTask(group, out string) *Task {
	return &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 3, Group: group, Out: out}
}

// noneKept drops whatever a test left open, for the next test.
func noneKept(t *testing.T) {
	clearKept()
	t.Cleanup(clearKept)
}

// clearKept drops every open output.
func clearKept() {
	kept.Lock()
	outs := kept.outs
	kept.outs = nil
	kept.Unlock()
	for _, o := range outs {
		o.RemoveSpills()
	}
}

// outputRecords reads the map output at path: each reduce task's
// records, its runs merged as its reducer merges them, as "key value".
func outputRecords(t *testing.T, path string, nReduce int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	parts := make([][]string, nReduce)
	for r := range parts {
		extents, err := runfile.Runs(f, st.Size(), r)
		if err != nil {
			t.Fatal(err)
		}
		var segs []runfile.Segment
		for _, e := range extents {
			segs = append(segs, runfile.Segment{Path: path, Off: e.Off, Size: e.Size})
		}
		runs, closeAll, err := runfile.OpenSegments(segs)
		if err != nil {
			t.Fatal(err)
		}
		m := runfile.NewMerger(runs)
		for m.Next() {
			parts[r] = append(parts[r], string(m.Key())+" "+string(m.Value()))
		}
		closeAll()
		if err := m.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return parts
}

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Three splits mapped one Task after another into one kept output, then
// finished, give the records of one map Task of the three splits back to
// back, reduce task by reduce task, and the same counts: with a buffer
// that holds them all and with one that spills, finished by a Task of its
// own or by the last split's. Each Task counts its own progress.
func TestKeepEqualsOneMapTask(t *testing.T) {
	noneKept(t)
	texts := []string{zipfText(20_000, 300), zipfText(25_000, 400), zipfText(15_000, 200)}
	inputs := []string{"a.txt", "b.txt", "c.txt"}
	for _, buffer := range []int64{1 << 20, 16 << 10} {
		for _, lastFinishes := range []bool{false, true} {
			dir := t.TempDir()
			e := InProcess{App: benchApp()}
			plain := keepTask(t, dir, dir, "map-9.a1", "all", strings.Join(texts, ""), false, "")
			plain.MapBuffer = buffer
			plain.Inputs = nil
			for i, text := range texts {
				plain.Inputs = append(plain.Inputs, Input{Name: inputs[i], Length: int64(len(text))})
			}
			want := e.Run(context.Background(), plain, func(int64) {})
			if want.failed() || (buffer < 1<<20) != (want.Counters.SpilledRecords > 0) {
				t.Fatalf("buffer %d: the plain task: %+v", buffer, want)
			}

			var inputRecords, inputBytes int64
			var last Result
			for i, text := range texts {
				task := keepTask(t, dir, dir, "map-"+inputs[i], inputs[i], text, true, "map-0.a1")
				if i == 0 {
					task.Name, task.Group = "map-0.a1", ""
				}
				if i == len(texts)-1 && lastFinishes {
					task.Keep, task.Out = false, filepath.Join(dir, "out-group")
				}
				task.MapBuffer = buffer
				var progress int64
				last = e.Run(context.Background(), task, func(n int64) { progress = n })
				if last.failed() || task.Keep && (last.Written != 0 || last.Counters.MapOutputRecords != 0) {
					t.Fatalf("buffer %d: Task %d: %+v", buffer, i, last)
				}
				if progress < int64(len(text))/2 { // a word and "1" and one more per word
					t.Fatalf("buffer %d: Task %d of %d bytes: progress %d", buffer, i, len(text), progress)
				}
				inputRecords += last.Counters.MapInputRecords
				inputBytes += last.Counters.MapInputBytes
			}
			if !lastFinishes {
				last = e.Run(context.Background(), finishTask("map-0.a1", filepath.Join(dir, "out-group")), func(int64) {})
			}
			if last.failed() || last.Written == 0 {
				t.Fatalf("buffer %d: finishing: %+v", buffer, last)
			}
			c, w := last.Counters, want.Counters
			if inputRecords != w.MapInputRecords || inputBytes != w.MapInputBytes || c.MapOutputRecords != w.MapOutputRecords ||
				(c.SpilledRecords > 0) != (w.SpilledRecords > 0) || c.MapOutputRecords-c.CombinedAway != w.MapOutputRecords-w.CombinedAway {
				t.Fatalf("buffer %d: input records %d, bytes %d, finishing counters %+v; one task's %+v",
					buffer, inputRecords, inputBytes, c, w)
			}
			got, wantRecs := outputRecords(t, filepath.Join(dir, "out-group"), 3), outputRecords(t, plain.Out, 3)
			for r := range wantRecs {
				if len(wantRecs[r]) == 0 || !slices.Equal(got[r], wantRecs[r]) {
					t.Fatalf("buffer %d: reduce task %d: %d records, want %d", buffer, r, len(got[r]), len(wantRecs[r]))
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out-map-0.a1")); !os.IsNotExist(err) {
				t.Fatalf("buffer %d: a Keep Task wrote an output", buffer)
			}
			if res := e.Run(context.Background(), finishTask("map-0.a1", filepath.Join(dir, "again")), func(int64) {}); !res.failed() {
				t.Fatalf("buffer %d: the output was finished twice", buffer)
			}
		}
	}
}

// A Task naming a Group that is not open fails, as the worker's failure.
func TestKeepGroupNotOpen(t *testing.T) {
	noneKept(t)
	dir := t.TempDir()
	const want = "executor: map output map-4.a1 is not open in this process"
	e := InProcess{App: benchApp()}
	for _, task := range []*Task{
		finishTask("map-4.a1", filepath.Join(dir, "out")),
		keepTask(t, dir, dir, "map-5.a1", "a.txt", "some words\n", true, "map-4.a1"),
	} {
		if res := e.Run(context.Background(), task, func(int64) {}); res.Err != want || res.App {
			t.Errorf("keep %v: %+v, want the worker's failure %q", task.Keep, res, want)
		}
	}
	// Another output open is not the one named.
	if res := e.Run(context.Background(), keepTask(t, dir, dir, "map-6.a1", "b.txt", "words\n", true, ""), func(int64) {}); res.failed() {
		t.Fatal(res.Err)
	}
	if res := e.Run(context.Background(), finishTask("map-4.a1", filepath.Join(dir, "out")), func(int64) {}); res.Err != want {
		t.Fatalf("with map-6.a1 open: %+v", res)
	}
}

// failingApp is benchApp whose Map panics on the input "bad.txt".
func failingApp() *mr.App {
	app := benchApp()
	wc := app.MapEmit
	app.MapEmit = func(name, contents string, emit func(k, v string)) {
		if name == "bad.txt" {
			panic("bad input")
		}
		wc(name, contents, emit)
	}
	return app
}

// spillingTask is a Keep Task of a split that spills a buffer of 16
// KiB.
func spillingTask(t *testing.T, dir, spillDir, name, group string) *Task {
	task := keepTask(t, dir, spillDir, name, name+".txt", zipfText(40_000, 2000), true, group)
	task.MapBuffer = 16 << 10
	return task
}

// A Keep Task whose Map fails drops the open output: its spills are
// removed, and it is no longer open.
func TestKeepFailureDropsTheOutput(t *testing.T) {
	noneKept(t)
	dir, spills := t.TempDir(), t.TempDir()
	e := InProcess{App: failingApp()}
	if res := e.Run(context.Background(), spillingTask(t, dir, spills, "map-0.a1", ""), func(int64) {}); res.failed() {
		t.Fatal(res.Err)
	}
	if len(dirNames(t, spills)) == 0 {
		t.Fatal("the first Task spilled nothing")
	}
	bad := keepTask(t, dir, spills, "map-1.a1", "bad.txt", "some words\n", true, "map-0.a1")
	if res := e.Run(context.Background(), bad, func(int64) {}); !res.App || !strings.Contains(res.Err, "bad input") {
		t.Fatalf("a failing Map: %+v", res)
	}
	if names := dirNames(t, spills); len(names) != 0 {
		t.Fatalf("spills left: %q", names)
	}
	res := e.Run(context.Background(), finishTask("map-0.a1", filepath.Join(dir, "out")), func(int64) {})
	if res.App || !strings.Contains(res.Err, "not open") {
		t.Fatalf("finishing a dropped output: %+v", res)
	}
}

// Drop drops the open output, its spills removed; so does a Keep Task
// opening a new one in an app's process (which serves one worker).
// Dropping an output not open does nothing.
func TestDropRemovesSpills(t *testing.T) {
	noneKept(t)
	kept.Lock()
	kept.one = true
	kept.Unlock()
	t.Cleanup(func() {
		kept.Lock()
		kept.one = false
		kept.Unlock()
	})
	dir, spills := t.TempDir(), t.TempDir()
	e := InProcess{App: benchApp()}
	run := func(task *Task) Result { return e.Run(context.Background(), task, func(int64) {}) }
	drop := &Task{Kind: protocol.MapTask, Name: "map-0.a1", Group: "map-0.a1", Drop: true}
	for _, dropper := range []*Task{drop, spillingTask(t, dir, t.TempDir(), "map-1.a1", "")} {
		if res := run(spillingTask(t, dir, spills, "map-0.a1", "")); res.failed() {
			t.Fatal(res.Err)
		}
		if len(dirNames(t, spills)) == 0 {
			t.Fatal("the Task spilled nothing")
		}
		if res := run(dropper); res.failed() {
			t.Fatalf("dropping: %+v", res)
		}
		if names := dirNames(t, spills); len(names) != 0 {
			t.Fatalf("drop %v: spills left: %q", dropper.Drop, names)
		}
		if res := run(finishTask("map-0.a1", filepath.Join(dir, "out"))); !strings.Contains(res.Err, "not open") {
			t.Fatalf("drop %v: finishing a dropped output: %+v", dropper.Drop, res)
		}
	}
	if res := run(drop); res.failed() {
		t.Fatalf("dropping an output not open: %+v", res)
	}
}

// A child keeps an output open between Tasks, and loses it when it is
// restarted.
func TestKeepInChild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	e := childForTest(t)
	run := func(task *Task) Result { return e.Run(context.Background(), task, func(int64) {}) }
	a, b := "alpha beta\ngamma alpha\n", "beta delta\nalpha\n"
	first, second := keepTask(t, dir, dir, "map-0.a1", "a.txt", a, true, ""), keepTask(t, dir, dir, "map-1.a1", "b.txt", b, true, "map-0.a1")
	for _, task := range []*Task{first, second} {
		if res := run(task); res.failed() || res.Written != 0 || res.Counters.MapInputRecords != 2 {
			t.Fatalf("%s: %+v", task.Name, res)
		}
	}
	res := run(finishTask("map-0.a1", filepath.Join(dir, "out-group")))
	plain := keepTask(t, dir, dir, "map-9.a1", "all", a+b, false, "")
	plain.Inputs = []Input{{Name: "a.txt", Length: int64(len(a))}, {Name: "b.txt", Length: int64(len(b))}}
	want := InProcess{App: poisonApp()}.Run(context.Background(), plain, func(int64) {})
	if res.failed() || want.failed() || res.Written != want.Written || res.Counters.MapOutputRecords != 7 {
		t.Fatalf("finishing: %+v; one task: %+v", res, want)
	}
	got, wantRecs := outputRecords(t, filepath.Join(dir, "out-group"), 3), outputRecords(t, plain.Out, 3)
	for r := range wantRecs {
		if !slices.Equal(got[r], wantRecs[r]) {
			t.Fatalf("reduce task %d: %q, want %q", r, got[r], wantRecs[r])
		}
	}
	if res := run(first); res.failed() {
		t.Fatal(res.Err)
	}
	e.Close() // the next Task starts a new child
	if res := run(finishTask("map-0.a1", filepath.Join(dir, "out-again"))); res.App || !strings.Contains(res.Err, "is not open in this process") {
		t.Fatalf("finishing in a new child: %+v", res)
	}
}
