// In-process clusters against mrsequential: word count, large inputs split,
// attempts counted, spills and merge passes, large outputs merged in
// ranges, ReduceSeq, user counters, small inputs packed.

package coordinator_test

import (
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

func TestClusterMatchesSequential(t *testing.T) {
	inputs := Inputs(t, 5)
	cl := Start(t, Config(t.TempDir()), inputs, WordCount(), 3)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	for _, ts := range cl.C.Summary().Tasks {
		if want := 1; ts.AbsorbedBy != "" {
			want = 0 // another map task's attempt mapped its input
			if len(ts.Attempts) != want {
				t.Errorf("%s, absorbed, ran %d attempts", ts.Task, len(ts.Attempts))
			}
		} else if len(ts.Attempts) != want {
			t.Errorf("%s ran %d attempts in a run without failures", ts.Task, len(ts.Attempts))
		}
	}
}

func TestClusterSplitsLargeInputs(t *testing.T) {
	inputs := Inputs(t, 2)
	cfg := Config(t.TempDir())
	cfg.SplitSize = 1000
	cl := Start(t, cfg, inputs, WordCount(), 2)
	if n := cl.C.Summary().Maps; n < 10 {
		t.Fatalf("%d map tasks, want many", n)
	}
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
}

func TestSummaryCountsAttempts(t *testing.T) {
	inputs := Inputs(t, 3)
	cfg := Config(t.TempDir())
	cfg.AbsorbSize = 1 // each map task its own attempt
	cl := Start(t, cfg, inputs, WordCount(), 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	sum := cl.SummaryFile()
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

// A tiny map buffer forces spills: the output must not change, whether
// they are merged (a Combine that combines) or shipped as they are, each
// partition a list of runs fetched from the other worker (no Combine).
// (Merge passes at the reducer: mr/worker's TestReducerMergePasses.)
func TestClusterSpillsAndMergePasses(t *testing.T) {
	inputs := Inputs(t, 5)
	for _, combine := range []bool{true, false} {
		app := WordCount() // with each word's places, in order: values that differ, so a buffer fills
		app.Map = func(name, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for i, line := range strings.Split(contents, "\n") {
				for _, w := range strings.FieldsFunc(line, func(r rune) bool { return !unicode.IsLetter(r) }) {
					kvs = append(kvs, mr.KeyValue{Key: w, Value: filepath.Base(name) + ":" + strconv.Itoa(i)})
				}
			}
			return kvs
		}
		if sum := joinSpilling(t, inputs, app, combine, 2<<10); sum.Counters.SpilledRecords == 0 {
			t.Fatalf("combine %v: nothing spilled", combine)
		}
	}
}

// joinSpilling gives app a Reduce that joins a key's values, in order,
// and with combine a Combine that does too; runs it over inputs on 2
// workers whose map buffers hold mapBuffer bytes; checks mr-<app>-all
// against mrsequential's; and returns the job's summary.
func joinSpilling(t *testing.T, inputs []string, app *mr.App, combine bool, mapBuffer int64) protocol.Summary {
	t.Helper()
	app.Reduce = func(_ string, vs []string) string { return strings.Join(vs, ",") }
	if combine {
		app.Combine = func(k string, vs []string) []string { return []string{app.Reduce(k, vs)} }
	}
	cfg := Config(t.TempDir())
	cl := Start(t, cfg, inputs, app, 0)
	for range 2 {
		wc := WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir())
		wc.MapBuffer = mapBuffer
		cl.AddWorker(wc)
	}
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	return cl.SummaryFile()
}

// Every line a key, short and long, a few of them repeated, over map
// buffers small enough that each task spills some 20 times with its keys
// nearly all distinct: its later buffers are held in order (mapside's
// inorder.go), where a line repeated in one buffer is two records, and
// past 16 spills they are merged into one as they come. Each value is the
// line's place, and Reduce joins them: mr-<app>-all is still
// mrsequential's, so every line's places arrive complete and in order,
// with a combiner (which joins them too) and without.
func TestClusterBuffersHeldInOrder(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := range 2 {
		var b strings.Builder
		for j := range 50_000 {
			switch {
			case j%3 == 0:
				fmt.Fprintf(&b, "%d-%d\n", i, j) // a key the index holds in its entry
			default:
				fmt.Fprintf(&b, "line %d of input %d\n", j, i)
			}
			if j%25 == 0 { // 4 % of the lines come again, some in the same buffer
				fmt.Fprintf(&b, "line %d of input %d\n", j-j%50, i)
			}
			if j%5000 == 0 {
				b.WriteString("a line of every input\n")
			}
		}
		inputs = append(inputs, WriteFile(t, dir, fmt.Sprintf("in-%d.txt", i), b.String()))
	}
	for _, combine := range []bool{true, false} {
		app := &mr.App{
			Name: "places",
			Map: func(name, contents string) []mr.KeyValue {
				var kvs []mr.KeyValue
				for j, line := range strings.Split(strings.TrimSuffix(contents, "\n"), "\n") {
					kvs = append(kvs, mr.KeyValue{Key: line, Value: filepath.Base(name) + ":" + strconv.Itoa(j)})
				}
				return kvs
			},
		}
		// A map buffer of about 2,000 keys: enough to tell they are distinct.
		if sum := joinSpilling(t, inputs, app, combine, 256<<10); sum.Counters.SpilledRecords < sum.Counters.MapOutputRecords/2 {
			t.Fatalf("combine %v: %d of %d records spilled", combine, sum.Counters.SpilledRecords, sum.Counters.MapOutputRecords)
		}
	}
}

// A job of large outputs (every line a key: 1.6 MB of them), uploaded
// over HTTP and written as text as they arrive (one of them past the 1 MiB
// that a coordinator keeps in memory: kept as its text and a file of its
// records' lengths, and read back from the text, keys with spaces), then
// merged in ranges of keys at once (runfile.MergeTextRanges, on a machine
// of two cores or more): its mr-<app>-all is still mrsequential's, byte
// for byte.
func TestClusterMergesLargeOutputs(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := 0; i < 3; i++ {
		var b strings.Builder
		for j := 0; j < 12_000; j++ {
			fmt.Fprintf(&b, "line %d of input %d, with some words: %x\n", j%9_000, i, (j*7919+i)%4_001)
		}
		inputs = append(inputs, WriteFile(t, dir, fmt.Sprintf("in-%d.txt", i), b.String()))
	}
	app := &mr.App{
		Name: "lines",
		Map: func(_, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for line := range strings.Lines(contents) {
				kvs = append(kvs, mr.KeyValue{Key: strings.TrimSuffix(line, "\n"), Value: "1"})
			}
			return kvs
		},
		Reduce: func(_ string, values []string) string { return strconv.Itoa(len(values)) },
	}
	for _, nReduce := range []int{1, 3} { // one output of 1.6 MB, or three of 530 KB: all uploaded over HTTP
		cfg := Config(t.TempDir())
		cfg.NReduce = nReduce
		cl := Start(t, cfg, inputs, app, 2)
		if err := cl.Wait(); err != nil {
			t.Fatal(err)
		}
		cl.CheckOutput(inputs)
		if st, err := os.Stat(filepath.Join(cl.Out, "mr-lines-all")); err != nil || st.Size() < 3<<19 {
			t.Fatalf("mr-lines-all: %v: want 1.5 MiB or more, past the 1 MiB from which the merge goes in ranges", err)
		}
	}
}

// An app that exports only ReduceSeq gets the same output.
func TestClusterReduceSeq(t *testing.T) {
	inputs := Inputs(t, 3)
	app := WordCount()
	reduce := app.Reduce
	app.Reduce = nil
	app.ReduceSeq = func(key string, values iter.Seq[string]) string { return reduce(key, slices.Collect(values)) }
	cl := Start(t, Config(t.TempDir()), inputs, app, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
}

// Map may count with mr.Counter: the job's total is the winning
// attempts' counts, in the summary.
func TestClusterCountsWithCounters(t *testing.T) {
	inputs := Inputs(t, 3)
	app := WordCount()
	mapFn := app.Map
	lines := mr.Counter("lines")
	app.Map = func(name, contents string) []mr.KeyValue {
		lines.Add(int64(strings.Count(contents, "\n")))
		return mapFn(name, contents)
	}
	// One worker: mr's counters count the one attempt a process runs,
	// and in-process workers share this process (a real worker's app has
	// a process of its own: e2e's TestCounters counts with two).
	cl := Start(t, Config(t.TempDir()), inputs, app, 1)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		want += strings.Count(string(b), "\n")
	}
	if got := cl.SummaryFile().Counters.User["lines"]; got != int64(want) {
		t.Fatalf("user counter lines = %d, want %d", got, want)
	}
}

// Small inputs share map tasks, and Map is still called once per file with
// that file's name: an index keyed by file names equals mrsequential's.
func TestClusterPacksSmallInputs(t *testing.T) {
	inputs := Inputs(t, 9)
	app := WordCount()
	app.Map = func(name, contents string) []mr.KeyValue {
		return []mr.KeyValue{{Key: name, Value: strconv.Itoa(len(contents))}, {Key: "lines", Value: strconv.Itoa(strings.Count(contents, "\n"))}}
	}
	cfg := Config(t.TempDir())
	cfg.PackSize = 40 << 10
	cl := Start(t, cfg, inputs, app, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	if sum := cl.SummaryFile(); sum.Maps >= len(inputs) || sum.Maps < 2 {
		t.Fatalf("%d map tasks for %d small inputs", sum.Maps, len(inputs))
	}
}
