package mr

import (
	"os"
	"strings"
	"testing"
	"unicode"
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
	b.Run("Map", func(b *testing.B) { benchMapSide(b, wordCount()) })
	b.Run("MapEmit", func(b *testing.B) {
		app := wordCount()
		app.MapEmit = func(_, contents string, emit func(k, v string)) {
			for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
				emit(w, "1")
			}
		}
		benchMapSide(b, app)
	})
}

func benchMapSide(b *testing.B, app *App) {
	contents := benchCorpus(b)
	app.Combine = func(k string, vs []string) []string { return []string{app.Reduce(k, vs)} }
	dir := b.TempDir()
	b.SetBytes(int64(len(contents)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out := newMapOutput(10, 64<<20, app.Combine, spillPath(dir, 0, i))
		if err := callMap(app, "in", contents, out.emit); err != nil {
			b.Fatal(err)
		}
		if _, err := out.finish(runPath(dir, 0, 1)); err != nil {
			b.Fatal(err)
		}
	}
}
