// bench_test.go: BenchmarkMapTask, one map attempt as a worker's
// executor runs it, on text of a Zipf vocabulary, in the caller's process
// and in a child, to tell a map task's fixed cost from its cost per byte.

package executor

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// benchApp is a word count: words are runs of bytes other than ASCII
// space and punctuation, counted by Combine and Reduce.
func benchApp() *mr.App {
	sum := func(vs []string) string {
		n := 0
		for _, v := range vs {
			k, _ := strconv.Atoi(v)
			n += k
		}
		return strconv.Itoa(n)
	}
	return &mr.App{Name: "benchwc",
		MapEmit: func(_, contents string, emit func(k, v string)) {
			start := -1
			for i := 0; i < len(contents); i++ {
				c := contents[i]
				if c == ' ' || c == '\n' || c == '.' || c == ',' {
					if start >= 0 {
						emit(contents[start:i], "1")
						start = -1
					}
				} else if start < 0 {
					start = i
				}
			}
			if start >= 0 {
				emit(contents[start:], "1")
			}
		},
		Combine: func(_ string, vs []string) []string { return []string{sum(vs)} },
		Reduce:  func(_ string, vs []string) string { return sum(vs) },
	}
}

// zipfText is about size bytes of lines of 5 to 15 words drawn from a
// vocabulary of vocab made-up words with Zipf-distributed ranks
// (exponent 1.1, as mrgen's), the same for the same arguments.
func zipfText(size, vocab int) string {
	r := rand.New(rand.NewPCG(1, uint64(vocab)))
	words := make([]string, vocab)
	for i := range words {
		w := strconv.FormatUint(uint64(i)*2654435761%(1<<32)+1<<32, 36) // 7 letters
		words[i] = w[:2+i%6] + strconv.Itoa(i)
	}
	z := rand.NewZipf(r, 1.1, 1, uint64(vocab-1))
	var b strings.Builder
	b.Grow(size + 256)
	for b.Len() < size {
		n := 5 + r.IntN(11)
		for k := range n {
			b.WriteString(words[z.Uint64()])
			if k < n-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// BenchmarkMapTask runs map attempts of 16 and 64 MiB over vocabularies
// of 20,000 and 200,000 words, 10 reduce tasks and a 16 MiB map buffer,
// in this process (inproc) and in a child (child, this test binary as
// the app's process). cpu-ns/op counts both processes' CPU time; the
// fixed cost of a task is about 4 × cpu(16M) − cpu(64M), over 3.
func BenchmarkMapTask(b *testing.B) {
	for _, vocab := range []int{20_000, 200_000} {
		for _, mib := range []int{16, 64} {
			dir := b.TempDir()
			split := filepath.Join(dir, "split")
			text := zipfText(mib<<20, vocab)
			if err := os.WriteFile(split, []byte(text), 0o600); err != nil {
				b.Fatal(err)
			}
			task := &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 10,
				Inputs: []Input{{Name: "input.txt", Length: int64(len(text))}}, SplitPath: split,
				Out: filepath.Join(dir, "out"), Spill: filepath.Join(dir, "spill"), MapBuffer: 16 << 20,
				HeapLimit: int64(len(text)) + 32<<20}
			name := fmt.Sprintf("%dM-%dk", mib, vocab/1000)
			b.Run(name+"/inproc", func(b *testing.B) { benchMapTask(b, InProcess{App: benchApp()}, task, 0) })
			b.Run(name+"/child", func(b *testing.B) {
				exe, err := os.Executable()
				if err != nil {
					b.Fatal(err)
				}
				e := NewChild([]string{exe}, io.Discard)
				e.setEnv([]string{"MR_TEST_EXECUTOR=bench"})
				defer e.Close()
				if err := e.Start(); err != nil {
					b.Fatal(err)
				}
				benchMapTask(b, e, task, e.child.cmd.Process.Pid)
			})
		}
	}
}

// BenchmarkMapTaskLines is BenchmarkMapTask's 64 MiB over 200,000 words
// for an app whose keys are the lines, nearly all distinct (uniq's Map
// and Combine): the shuffle-heavy map, which spills.
func BenchmarkMapTaskLines(b *testing.B) {
	dir := b.TempDir()
	split := filepath.Join(dir, "split")
	text := zipfText(64<<20, 200_000)
	if err := os.WriteFile(split, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	task := &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 10,
		Inputs: []Input{{Name: "input.txt", Length: int64(len(text))}}, SplitPath: split,
		Out: filepath.Join(dir, "out"), Spill: filepath.Join(dir, "spill"), MapBuffer: 16 << 20,
		HeapLimit: int64(len(text)) + 32<<20}
	app := benchApp()
	app.MapEmit = func(_, contents string, emit func(k, v string)) {
		for len(contents) > 0 {
			line, rest, _ := strings.Cut(contents, "\n")
			emit(line, "1")
			contents = rest
		}
	}
	benchMapTask(b, InProcess{App: app}, task, 0)
}

// benchMapTask runs task b.N times on e, reporting the CPU time of this
// process and of the child pid (0: none) per task.
func benchMapTask(b *testing.B, e Executor, task *Task, pid int) {
	b.SetBytes(task.Inputs[0].Length)
	if res := e.Run(context.Background(), task, func(int64) {}); res.Err != "" { // a warm-up
		b.Fatal(res.Err)
	}
	b.ResetTimer()
	cpu0 := cpuTime(b, pid)
	var spilled int64
	for range b.N {
		res := e.Run(context.Background(), task, func(int64) {})
		if res.Err != "" {
			b.Fatal(res.Err)
		}
		spilled += res.Counters.SpilledRecords
	}
	b.ReportMetric(float64(cpuTime(b, pid)-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(spilled)/float64(b.N), "spilled/op")
}

// cpuTime is the CPU time this process and the process pid (0: none)
// have used, in nanoseconds.
func cpuTime(b *testing.B, pid int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	n := ru.Utime.Nano() + ru.Stime.Nano()
	if pid == 0 {
		return n
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // fields 14 and 15 of proc(5), in clock ticks
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return n + (utime+stime)*10_000_000 // 100 ticks a second
}

// BenchmarkReduceTaskLines runs a reduce attempt of uniq's shape: 4 runs
// (as from 4 maps) of 75,000 distinct lines each of BenchmarkMapTask's
// text, every value "1", reduced to "line count" by a Reduce that sums.
func BenchmarkReduceTaskLines(b *testing.B) {
	lines := strings.Split(zipfText(24<<20, 200_000), "\n")
	slices.Sort(lines)
	lines = slices.Compact(lines)
	runs, size := benchRuns(b, func(m int, w *runfile.Writer) error {
		for i := m; i < len(lines); i += 4 {
			if err := w.Write(lines[i], "1"); err != nil {
				return err
			}
		}
		return nil
	})
	benchReduceTask(b, benchApp(), runs, size, len(lines))
}

// benchRuns writes 4 runs (as from 4 maps), run m by fill(m, w), and
// returns them and their size.
func benchRuns(b *testing.B, fill func(m int, w *runfile.Writer) error) ([]runfile.Segment, int64) {
	dir := b.TempDir()
	var runs []runfile.Segment
	var size int64
	for m := range 4 {
		seg, _, err := runfile.WriteSpill(filepath.Join(dir, fmt.Sprintf("run-%d", m)), 0, func(w *runfile.Writer) error { return fill(m, w) })
		if err != nil {
			b.Fatal(err)
		}
		runs = append(runs, seg)
		size += seg.Size
	}
	return runs, size
}

// benchReduceTask runs a reduce attempt of app over runs, of size bytes,
// b.N times, checking that it writes records records, and reports its
// CPU time per attempt.
func benchReduceTask(b *testing.B, app *mr.App, runs []runfile.Segment, size int64, records int) {
	task := &Task{Kind: protocol.ReduceTask, Name: "reduce-0.a1", NReduce: 10, Runs: runs,
		Scratch: filepath.Join(b.TempDir(), "scratch"), MergeFanIn: 64, HeapLimit: 256 << 20}
	b.SetBytes(size)
	e := InProcess{App: app}
	cpu0 := cpuTime(b, 0)
	for b.Loop() {
		res := e.Run(context.Background(), task, func(int64) {})
		if res.Err != "" {
			b.Fatal(res.Err)
		}
		if res.Counters.ReduceOutputRecords != int64(records) {
			b.Fatalf("%d records out, want %d", res.Counters.ReduceOutputRecords, records)
		}
		os.RemoveAll(task.Scratch)
	}
	b.ReportMetric(float64(cpuTime(b, 0)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkReduceTaskCounts runs a reduce attempt of a word count's
// shape: 4 runs (as from 4 maps) of the words of a 200,000-word Zipf
// vocabulary, all in the first run and a quarter in each other one, with
// combined counts as values, reduced by a ReduceSeq that sums, as
// mrapps/wc's (seq), or by a Reduce that does (slice).
func BenchmarkReduceTaskCounts(b *testing.B) {
	vocab := strings.Fields(zipfText(8<<20, 200_000))
	slices.Sort(vocab)
	vocab = slices.Compact(vocab)
	r := rand.New(rand.NewPCG(3, 4))
	runs, size := benchRuns(b, func(m int, w *runfile.Writer) error {
		for _, word := range vocab {
			if m > 0 && r.IntN(4) != 0 {
				continue
			}
			if err := w.Write(word, strconv.Itoa(1+r.IntN(40))); err != nil {
				return err
			}
		}
		return nil
	})
	seq := benchApp()
	seq.Reduce = nil
	seq.ReduceSeq = func(_ string, values iter.Seq[string]) string {
		n := 0
		for v := range values {
			k, _ := strconv.Atoi(v)
			n += k
		}
		return strconv.Itoa(n)
	}
	b.Run("seq", func(b *testing.B) { benchReduceTask(b, seq, runs, size, len(vocab)) })
	b.Run("slice", func(b *testing.B) { benchReduceTask(b, benchApp(), runs, size, len(vocab)) })
}
