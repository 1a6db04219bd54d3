// A benchmark of wc's and wcraw's map side as a worker runs it, in CPU
// time per task.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"mapreduce/internal/mapside"
	"mapreduce/mrapps/internal/words"
)

// benchCorpus is the text one map task of the benchmark maps: set
// MR_BENCH_INPUT to a text file, else about 4 MiB of generated text with
// a skewed vocabulary is used.
func benchCorpus(b *testing.B) string {
	if p := os.Getenv("MR_BENCH_INPUT"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return string(data)
	}
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%c%dé", 'a'+rune(i%26), i*7919%100003)
	}
	var sb strings.Builder
	for i := 0; sb.Len() < 4<<20; i++ {
		sb.WriteString(vocab[(i*i+7*i)%len(vocab)%(1+i%len(vocab))])
		if i%12 == 11 {
			sb.WriteString(".\n")
		} else {
			sb.WriteString(" ")
		}
	}
	return sb.String()
}

// BenchmarkMapSide times the map side of one map task as a worker's
// executor runs it with the defaults (10 reduce tasks, a 16 MiB buffer,
// or MR_BENCH_BUFFER bytes): wc's MapEmit and Combine, and wcraw (the
// same without Combine). It reports the records spilled and the CPU time
// (all threads, the garbage collector's too) per task.
func BenchmarkMapSide(b *testing.B) {
	combine := func(key string, values []string) ([]string, error) { return Combine(key, values), nil }
	b.Run("wc", func(b *testing.B) { benchMapSide(b, combine) })
	b.Run("wcraw", func(b *testing.B) { benchMapSide(b, nil) })
}

func benchMapSide(b *testing.B, combine mapside.Combiner) {
	contents := benchCorpus(b)
	buffer := int64(16 << 20)
	if s := os.Getenv("MR_BENCH_BUFFER"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal("MR_BENCH_BUFFER: ", err)
		}
		buffer = n
	}
	dir := b.TempDir()
	b.SetBytes(int64(len(contents)))
	b.ReportAllocs()
	b.ResetTimer() // reading the corpus is no part of a task
	cpu0 := cpuTime(b)
	var spilled, keys int64
	for i := 0; i < b.N; i++ {
		out := mapside.New(10, buffer, combine, func(k int) string {
			return filepath.Join(dir, fmt.Sprintf("spill-%d-%d", i, k))
		})
		out.Reserve(int(keys)) // as the executor sizes a task's index from the last task's
		words.EmitOnes(contents, out.Emit)
		runs, err := out.Finish(filepath.Join(dir, "out"))
		if err != nil {
			b.Fatal(err)
		}
		st := out.Stats(runs)
		spilled, keys = spilled+st.Spilled, st.Keys
	}
	b.ReportMetric(float64(spilled)/float64(b.N), "spilled/op")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used, in nanoseconds: on a
// machine shared with other work it measures a task better than the wall
// clock.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
