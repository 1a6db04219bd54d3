package mr

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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

// BenchmarkMapSide times one map task as a worker runs it: callMap, the
// map output, finish. Map and MapEmit use a 64 MiB buffer and a Combine
// that calls Reduce; wc and wcraw are those apps' MapEmit and Combine
// (copied: mrapps are plugins) with the worker's default buffer and the
// coordinator's default nReduce.
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
	b.Run("wc", func(b *testing.B) { benchMapTask(b, benchApp(true)) })
	b.Run("wcraw", func(b *testing.B) { benchMapTask(b, benchApp(false)) })
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

// benchMapTask runs app's map side with a worker's defaults.
func benchMapTask(b *testing.B, app *App) {
	contents := benchCorpus(b)
	nReduce, limit := DefaultConfig().NReduce, DefaultWorkerConfig().MapBuffer
	dir := b.TempDir()
	b.SetBytes(int64(len(contents)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out := newMapOutput(nReduce, limit, app.Combine, spillPath(dir, 0, i))
		if err := callMap(app, "in", contents, out.emit); err != nil {
			b.Fatal(err)
		}
		if _, err := out.finish(runPath(dir, 0, 1)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchApp is mrapps/wc (with Combine) or mrapps/wcraw (without): their
// MapEmit, Combine and Reduce as written there.
func benchApp(combine bool) *App {
	app := &App{Name: "wcraw", MapEmit: func(_, contents string, emit func(k, v string)) {
		benchWords(contents, func(w string) { emit(w, "1") })
	}}
	app.Reduce = func(_ string, values []string) string { return strconv.Itoa(len(values)) }
	if combine {
		app.Name = "wc"
		app.Combine = func(key string, values []string) []string { return []string{strconv.Itoa(benchSum(key, values))} }
		app.Reduce = func(key string, values []string) string { return strconv.Itoa(benchSum(key, values)) }
	}
	return app
}

// benchWords is mrapps/internal/words.Each.
func benchWords(s string, f func(word string)) {
	for i := 0; i < len(s); {
		for i < len(s) && s[i] < utf8.RuneSelf && !benchLetter[s[i]] { // between words
			i++
		}
		start := i
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				if !benchLetter[c] {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) {
				break
			}
			i += size
		}
		if i > start {
			f(s[start:i])
		} else if i < len(s) { // a character beyond ASCII that is no letter
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
}

// benchLetter is mrapps/internal/words.isASCIILetter.
var benchLetter = func() (t [utf8.RuneSelf]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	return t
}()

// benchSum is mrapps/wc's sum.
func benchSum(key string, values []string) int {
	total := 0
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("wc: count %q of key %q is not an integer", v, key))
		}
		total += n
	}
	return total
}
