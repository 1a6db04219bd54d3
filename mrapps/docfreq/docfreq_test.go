// Tests of docfreq: the README quotes it byte for byte, and splits do
// not change its counts.

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mapreduce/internal/input"
	"mapreduce/mr"
	"mapreduce/mr/executor"
)

// The README's docfreq is this file, byte for byte.
func TestREADMEQuotesThisApp(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("docfreq.go")
	if err != nil {
		t.Fatal(err)
	}
	const first = "// mrapps/docfreq/docfreq.go" // and what it holds, on the same line
	_, block, ok := strings.Cut(string(readme), "```go\n"+first)
	block, _, _ = strings.Cut(block, "```\n")
	if !ok || first+block != string(src) {
		t.Fatal("README.md's docfreq is not mrapps/docfreq/docfreq.go: copy the file into the README")
	}
}

// run is mrsequential's output for app over inputs at split size split
// (0: whole files).
func run(t *testing.T, app *mr.App, inputs []string, split int64) string {
	t.Helper()
	opt := input.Options{Split: split, Small: 1, Pack: 1}
	if split == 0 {
		opt.Split, opt.WholeFiles = input.DefaultSplit, true
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := executor.Sequential(app, inputs, opt, executor.Reference{}, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// On a file larger than the split size, docfreq writes what it writes
// with whole files; the naive docfreq (Reduce counting its values) counts
// a word once per split, and the reference at the split size says so.
func TestSplitsDoNotChangeTheCount(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	small := filepath.Join(dir, "small.txt")
	os.WriteFile(big, []byte(strings.Repeat("alpha beta\ngamma\n", 200)), 0o644)
	os.WriteFile(small, []byte("alpha delta\n"), 0o644)
	inputs := []string{big, small}
	right := &mr.App{Name: "docfreq", Map: Map, Reduce: Reduce}
	naive := &mr.App{Name: "naive", Map: Map, Reduce: func(_ string, values []string) string { return strconv.Itoa(len(values)) }}

	whole := run(t, right, inputs, 0)
	if want := "alpha 2\nbeta 1\ndelta 1\ngamma 1\n"; whole != want {
		t.Fatalf("whole files: %q, want %q", whole, want)
	}
	if got := run(t, right, inputs, 100); got != whole {
		t.Fatalf("docfreq at split size 100: %q, want %q", got, whole)
	}
	if got := run(t, naive, inputs, 0); got != whole {
		t.Fatalf("naive docfreq on whole files: %q, want %q", got, whole)
	}
	if got := run(t, naive, inputs, 100); got == whole || !strings.HasPrefix(got, "alpha 35\n") {
		t.Fatalf("naive docfreq at split size 100: %q: want the word of the 3,400-byte file counted once per split", got)
	}
}
