package mr

import (
	"os"
	"path/filepath"
	"testing"
)

// benchCorpus is a wc-like workload: set MR_BENCH_INPUT to a text file,
// else a small synthetic one is made.
func benchCorpus(b *testing.B) string {
	if p := os.Getenv("MR_BENCH_INPUT"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return string(data)
	}
	return testCorpus(4 << 20)
}

func BenchmarkMapSide(b *testing.B) {
	contents := benchCorpus(b)
	app := wordCount()
	app.Combine = func(k string, vs []string) []string { return []string{app.Reduce(k, vs)} }
	dir := b.TempDir()
	b.SetBytes(int64(len(contents)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		kvs := app.Map("in", contents)
		for r, p := range groupByPartition(kvs, 10) {
			if _, err := writeRunFile(filepath.Join(dir, runFileName(0, r)), writeGroups(p, app.Combine)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
