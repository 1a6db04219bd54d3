// The paper's model in a cluster: parameters, the app's Partition,
// map-only jobs and total order, each checked against mrsequential.

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

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/executor"
)

// paramApp is word count whose every function reads a parameter: Map
// keeps words of at least mr.Param("min") letters, prefixed with
// mr.Param("prefix"); Combine and Reduce sum and Reduce appends
// mr.Param("unit"); Partition sends a key by its length.
func paramApp() *mr.App {
	wc := WordCount()
	minLen := func() int { n, _ := strconv.Atoi(mr.Param("min")); return n }
	return &mr.App{
		Name: "paramwc",
		Map: func(name, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, kv := range wc.Map(name, contents) {
				if len([]rune(kv.Key)) >= minLen() {
					kvs = append(kvs, mr.KeyValue{Key: mr.Param("prefix") + kv.Key, Value: kv.Value})
				}
			}
			return kvs
		},
		Combine: func(key string, values []string) []string {
			if mr.Param("prefix") == "" {
				panic("Combine without its parameter")
			}
			return []string{wc.Reduce(key, values)}
		},
		Reduce: func(key string, values []string) string {
			return wc.Reduce(key, values) + mr.Param("unit")
		},
		Partition: lengthPartition,
	}
}

// lengthPartition sends a key by its length in bytes (byLength); it
// panics if the job lost its parameters.
func lengthPartition(key string, n int) int {
	if mr.Param("prefix") == "" {
		panic("Partition without its parameter")
	}
	return byLength(key, n)
}

func byLength(key string, n int) int { return len(key) % n }

func TestParamsReachEveryFunction(t *testing.T) {
	inputs := Inputs(t, 4)
	cfg := Config(t.TempDir())
	cfg.Params = map[string]string{"min": "3", "prefix": "w:", "unit": " times"}
	cl := Start(t, cfg, inputs, paramApp(), 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	all, _ := os.ReadFile(filepath.Join(cl.Out, "mr-paramwc-all"))
	if !strings.HasPrefix(string(all), "w:") || !strings.Contains(string(all), " times\n") || strings.Contains(string(all), "w:x ") {
		t.Fatalf("the parameters did not reach Map and Reduce: %.200s", all)
	}
	sum := cl.SummaryFile()
	if sum.Model == nil || sum.Model.Params["unit"] != " times" || len(sum.Model.Params) != 3 {
		t.Fatalf("summary model = %+v, want the parameters", sum.Model)
	}
}

func TestEachOutputHoldsOnlyWhatPartitionSendsThere(t *testing.T) {
	inputs := Inputs(t, 4)
	cfg := Config(t.TempDir())
	cfg.NReduce = 3
	cfg.Params = map[string]string{"prefix": "p"}
	cl := Start(t, cfg, inputs, paramApp(), 3)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	for r := range cfg.NReduce {
		b, err := os.ReadFile(filepath.Join(cl.Out, fmt.Sprintf("mr-out-%d", r)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		for _, line := range lines {
			key, _, _ := strings.Cut(line, " ")
			if got := byLength(key, cfg.NReduce); got != r {
				t.Fatalf("mr-out-%d holds %q, which Partition sends to %d", r, key, got)
			}
		}
		if len(lines) < 2 {
			t.Fatalf("mr-out-%d holds %d keys: the test proves little", r, len(lines))
		}
	}
}

func TestPartitionOutOfRangeFailsTheJobNamingTheKey(t *testing.T) {
	for name, part := range map[string]mr.PartitionFunc{
		"out of range": func(key string, n int) int { return n },
		"panic": func(key string, n int) int {
			if key == "gamma" {
				panic("no place for gamma")
			}
			return 0
		},
	} {
		t.Run(name, func(t *testing.T) {
			app := WordCount()
			app.Partition = part
			cfg := Config(t.TempDir())
			cfg.SetMaxFailures(2)
			cl := Start(t, cfg, Inputs(t, 2), app, 2)
			err := cl.Wait()
			if err == nil || !strings.Contains(err.Error(), "Partition(") || !strings.Contains(err.Error(), `"`) {
				t.Fatalf("job ended with %v, want a failure naming Partition and the key", err)
			}
			if name == "panic" && !strings.Contains(err.Error(), `Partition("gamma", 4) panicked: no place for gamma`) {
				t.Fatalf("job ended with %v, want the key and the panic", err)
			}
		})
	}
}

// lineApp is a map-only app: each line containing "a" is a record, keyed
// by its file's base name and the line's length.
func lineApp() *mr.App {
	return &mr.App{
		Name: "lines",
		Map: func(name, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, line := range strings.Split(contents, "\n") {
				if strings.Contains(line, "a") {
					kvs = append(kvs, mr.KeyValue{Key: filepath.Base(name) + ":" + strconv.Itoa(len(line)), Value: line})
				}
			}
			return kvs
		},
		Reduce: func(string, []string) string { panic("a map-only job has no Reduce") },
	}
}

func TestMapOnlyOutputsAreMapRecordsInOrder(t *testing.T) {
	inputs := Inputs(t, 5)
	cfg := Config(t.TempDir())
	cfg.MapOnly = true
	cl := Start(t, cfg, inputs, lineApp(), 3)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	for x, in := range inputs {
		b, err := os.ReadFile(filepath.Join(cl.Out, fmt.Sprintf("mr-out-%d", x)))
		if err != nil {
			t.Fatal(err)
		}
		if want := "in-" + strconv.Itoa(x) + ".txt:"; !strings.HasPrefix(string(b), want) {
			t.Fatalf("mr-out-%d starts %.40q, want the records of %s", x, b, in)
		}
	}
	if _, err := os.Stat(filepath.Join(cl.Out, fmt.Sprintf("mr-out-%d", len(inputs)))); err == nil {
		t.Fatalf("more outputs than map tasks")
	}
	if sum := cl.SummaryFile(); sum.Model == nil || !sum.Model.MapOnly || sum.Maps != 0 || sum.Reduces != len(inputs) {
		t.Fatalf("summary: model %+v, %d maps, %d reduces", sum.Model, sum.Maps, sum.Reduces)
	}
}

func TestTotalOrderOutputsHoldIncreasingRanges(t *testing.T) {
	inputs := Inputs(t, 6)
	cfg := Config(t.TempDir())
	cfg.TotalOrder, cfg.NReduce, cfg.SplitSize = true, 3, 2000
	cfg.SetSampler(WordCount())
	cl := Start(t, cfg, inputs, WordCount(), 3)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	var concat strings.Builder
	last := ""
	for r := range cfg.NReduce {
		b, err := os.ReadFile(filepath.Join(cl.Out, fmt.Sprintf("mr-out-%d", r)))
		if err != nil {
			t.Fatal(err)
		}
		concat.Write(b)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(b) == 0 || len(lines) < 2 {
			t.Fatalf("mr-out-%d holds %d keys: the sample did not spread them", r, len(lines))
		}
		for _, line := range lines {
			key, _, _ := strings.Cut(line, " ")
			if key <= last {
				t.Fatalf("mr-out-%d: %q after %q: the outputs are not in increasing, disjoint ranges", r, key, last)
			}
			last = key
		}
	}
	all, _ := os.ReadFile(filepath.Join(cl.Out, "mr-wc-all"))
	if concat.String() != string(all) {
		t.Fatal("mr-wc-all is not the concatenation of the outputs")
	}
	to := cl.SummaryFile().Model.TotalOrder
	if to == nil || to.Splits != 10 || to.Keys == 0 || to.Cuts != 2 || len(to.Shares) != 3 || to.Skew < 1 {
		t.Fatalf("summary total order = %+v", to)
	}
	var shares int64
	for _, s := range to.Shares {
		shares += s
	}
	if shares != int64(len(all)) {
		t.Fatalf("shares add up to %d bytes, the output is %d", shares, len(all))
	}
}

func TestTotalOrderRefusesMapOnly(t *testing.T) {
	cfg := Config(t.TempDir())
	cfg.TotalOrder, cfg.MapOnly = true, true
	cfg.SetSampler(WordCount())
	if _, err := coordinator.New(cfg, Inputs(t, 1)); err == nil || !strings.Contains(err.Error(), "-total-order with -nreduce 0") {
		t.Fatalf("New = %v, want a refusal of -total-order with -nreduce 0", err)
	}
}

// sortApp is mrapps/sort as Go values: a record's first 10 bytes are its
// key, the rest of its line (after a space) its value.
func sortApp() *mr.App {
	return &mr.App{
		Name: "sort",
		Map: func(_, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, line := range strings.Split(strings.TrimSuffix(contents, "\n"), "\n") {
				kvs = append(kvs, mr.KeyValue{Key: line[:10], Value: line[11:]})
			}
			return kvs
		},
		ReduceEmit: func(key string, values iter.Seq[string], emit func(string)) {
			for _, v := range slices.Sorted(values) {
				emit(v)
			}
		},
	}
}

// A sort in total order writes the records as a byte-wise sort of their
// lines does (LC_ALL=C sort), duplicate keys included, each output one
// range, with the shares of about equal size.
func TestTotalOrderSortEqualsSortingTheLines(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	var inputs []string
	for f := range 4 {
		var b strings.Builder
		for i := range 2500 {
			n := uint64(f*2500+i) * 0x9e3779b97f4a7c15
			key := fmt.Sprintf("%010d", (n>>20)%3000) // each key about 3 times
			line := fmt.Sprintf("%s %016x %s", key, n, strings.Repeat("x", 72))
			lines = append(lines, line)
			b.WriteString(line + "\n")
		}
		inputs = append(inputs, WriteFile(t, dir, fmt.Sprintf("recs-%d.txt", f), b.String()))
	}
	slices.Sort(lines)
	cfg := Config(t.TempDir())
	cfg.TotalOrder, cfg.NReduce, cfg.SplitSize = true, 5, 50_000
	cfg.SetSampler(sortApp())
	cl := Start(t, cfg, inputs, sortApp(), 3)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	all, _ := os.ReadFile(filepath.Join(cl.Out, "mr-sort-all"))
	if string(all) != strings.Join(lines, "\n")+"\n" {
		t.Fatal("mr-sort-all is not the records sorted as LC_ALL=C sort sorts them")
	}
	to := cl.SummaryFile().Model.TotalOrder
	if to.Skew > 1.5 {
		t.Fatalf("skew %.2f: shares %v", to.Skew, to.Shares)
	}
}

// A map-only record holding a newline fails the job as the app's fault,
// naming the key and the task's input; mrsequential refuses it alike.
func TestMapOnlyNewlineFailsNamingTheKeyAndInput(t *testing.T) {
	inputs := Inputs(t, 2)
	app := lineApp()
	app.Map = func(name, contents string) []mr.KeyValue {
		return []mr.KeyValue{{Key: "k1", Value: "fine"}, {Key: "broken", Value: "two\nlines"}}
	}
	cfg := Config(t.TempDir())
	cfg.MapOnly = true
	cfg.SetMaxFailures(2)
	cl := Start(t, cfg, inputs, app, 2)
	err := cl.Wait()
	if err == nil || !strings.Contains(err.Error(), `the key "broken" with a newline`) || !strings.Contains(err.Error(), "(input ") {
		t.Fatalf("job ended with %v, want a failure naming the key and the input", err)
	}
	ref := executor.Reference{MapOnly: true}
	out := filepath.Join(t.TempDir(), "ref")
	if err := executor.Sequential(app, inputs, input.Options{Split: input.DefaultSplit, WholeFiles: true}, ref, out); err == nil ||
		!strings.Contains(err.Error(), `the key "broken" with a newline`) {
		t.Fatalf("mrsequential: %v, want the same refusal", err)
	}
}

// A journaled total-order job resumed by a new coordinator samples the
// same cut points, so that the map outputs its workers offer back still
// hold the right ranges: no Map runs again, the output is in order, and
// the shares count the outputs kept from before.
func TestTotalOrderJobResumes(t *testing.T) {
	inputs := Inputs(t, 4)
	app := WordCount()
	calls := &callCounter{calls: make(map[string]int)}
	gate := make(chan struct{})
	mapFn, reduceFn := app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue {
		calls.add(name)
		return mapFn(name, contents)
	}
	app.Reduce = func(key string, values []string) string {
		if key == "x" { // in the last range: its reduce task waits for the restart
			<-gate
		}
		return reduceFn(key, values)
	}
	cfg := Config(t.TempDir())
	cfg.TotalOrder, cfg.NReduce = true, 3
	cfg.SetSampler(WordCount())
	cl, stop := startJournaled(t, &cfg, inputs, app)
	for range 2 {
		cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir()))
	}
	cl.WaitFor("a reduce committed", func(sum protocol.Summary) bool {
		return Task(t, sum, "reduce-0").Winner != ""
	})
	stop()
	cl.restart(cfg, inputs)
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	calls.ranOnce(t, inputs)
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	all, _ := os.ReadFile(filepath.Join(cl.Out, "mr-wc-all"))
	var shares int64
	for _, s := range sum.Model.TotalOrder.Shares {
		shares += s
	}
	if !Task(t, sum, "reduce-0").Recovered || shares != int64(len(all)) {
		t.Fatalf("reduce-0 %+v; shares %v add up to %d, the output is %d bytes", Task(t, sum, "reduce-0"),
			sum.Model.TotalOrder.Shares, shares, len(all))
	}
}
