// Tests of mrgen: deterministic bytes, line ends and tokens, the
// vocabulary, the command line and its errors, golden corpora, -total,
// and a benchmark of generation.

package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// gen returns the text generate writes for p with a vocabulary of n words.
func gen(t testing.TB, n int, p params) []byte {
	t.Helper()
	var b bytes.Buffer
	written, err := generate(&b, newVocabulary(n), p)
	if err != nil {
		t.Fatal(err)
	}
	if written != int64(b.Len()) {
		t.Fatalf("generate reported %d bytes, wrote %d", written, b.Len())
	}
	return b.Bytes()
}

func defaultParams(size int64, seed uint64) params {
	return params{size: size, seed: seed, zipf: 1.1}
}

func TestSameSeedSameBytes(t *testing.T) {
	a := gen(t, 5000, defaultParams(100_000, 7))
	b := gen(t, 5000, defaultParams(100_000, 7))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with seed 7 differ")
	}
}

func TestDifferentSeedDifferentBytes(t *testing.T) {
	a := gen(t, 5000, defaultParams(100_000, 7))
	b := gen(t, 5000, defaultParams(100_000, 8))
	if bytes.Equal(a, b) {
		t.Fatal("seeds 7 and 8 give the same text")
	}
}

func TestEndsAtFirstLineEndPastSize(t *testing.T) {
	for _, size := range []int64{1, 100, 4096, 200_000} {
		out := gen(t, 50000, defaultParams(size, 1))
		if int64(len(out)) < size {
			t.Errorf("size %d: wrote only %d bytes", size, len(out))
		}
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Errorf("size %d: output does not end at a line end", size)
		}
		// The last line is the first to reach size: everything before it
		// stays short of size.
		last := bytes.LastIndexByte(out[:len(out)-1], '\n') + 1
		if int64(last) >= size {
			t.Errorf("size %d: %d bytes before the last line, want fewer", size, last)
		}
	}
}

func TestLinesAreWellFormed(t *testing.T) {
	out := string(gen(t, 50000, params{size: 200_000, seed: 3, zipf: 1.1, crlfEvery: 4}))
	if !utf8.ValidString(out) {
		t.Fatal("output is not valid UTF-8")
	}
	lines := strings.SplitAfter(out, "\n")
	lines = lines[:len(lines)-1] // empty string after the final "\n"
	for i, l := range lines {
		crlf := strings.HasSuffix(l, "\r\n")
		if want := (i+1)%4 == 0; crlf != want {
			t.Fatalf("line %d: crlf = %v, want %v", i+1, crlf, want)
		}
		body := strings.TrimRight(l, "\r\n")
		n := len(strings.Split(body, " "))
		if n < 5 || n > 15 || strings.Contains(body, "  ") {
			t.Fatalf("line %d has %d tokens: %q", i+1, n, body)
		}
	}
}

func TestVocabulary(t *testing.T) {
	v := newVocabulary(50000)
	seen := make(map[string]bool)
	nonASCII, capital := 0, 0
	for i := range v.len() {
		s := string(v.word(i))
		if seen[s] {
			t.Fatalf("word %q appears twice", s)
		}
		seen[s] = true
		if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 || s == "" {
			t.Fatalf("word %d %q is not a run of letters", i, s)
		}
		if len(s) != utf8.RuneCountInString(s) {
			nonASCII++
		}
		if r, _ := utf8.DecodeRuneInString(s); unicode.IsUpper(r) {
			capital++
		}
	}
	if pct := nonASCII * 100 / v.len(); pct < 7 || pct > 14 {
		t.Errorf("%d%% of words are non-ASCII, want about 10%%", pct)
	}
	if capital == 0 {
		t.Error("no capitalised words")
	}
	if !bytes.Equal(newVocabulary(50000).word(49999), v.word(49999)) {
		t.Error("vocabulary is not deterministic")
	}
}

func TestRunWritesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "corpus")
	var stderr bytes.Buffer
	args := []string{"-out", dir, "-files", "3", "-size", "5000", "-prefix", "in-"}
	if code := run(args, io.Discard, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "in-1.txt in-2.txt in-3.txt" {
		t.Errorf("files = %s", got)
	}
}

func TestRunErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-files", "x"}, 2},
		{[]string{"-nosuch"}, 2},
		{[]string{"-size", "0"}, 2},
		{[]string{"-zipf", "1"}, 2},
		{[]string{"-vocab", "0"}, 2},
		{[]string{"-crlf-every", "-1"}, 2},
		{[]string{"-prefix", "a/b"}, 2},
		{[]string{"stray"}, 2},
		{[]string{"-out", filepath.Join(file, "sub")}, 1},
		{[]string{"-size", "1X"}, 2},
		{[]string{"-size", "-1"}, 2},
		{[]string{"-total", "1M", "-files", "3"}, 2},
		{[]string{"-total", "0"}, 2},
		{[]string{"-total", "1G", "-size", "1"}, 2},
		{[]string{"-files", "1000001"}, 2},
	} {
		var stderr bytes.Buffer
		code := run(tc.args, io.Discard, &stderr)
		msg := stderr.String()
		if code != tc.code || !strings.HasPrefix(msg, "mrgen: ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one mrgen: line", tc.args, code, msg, tc.code)
		}
	}
}

// corpusHash runs mrgen with args into a fresh directory and returns the
// directory and a hash of every file's name and bytes, in name order.
func corpusHash(t *testing.T, args ...string) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	var stderr bytes.Buffer
	if code := run(append([]string{"-out", dir}, args...), io.Discard, &stderr); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return dir, fmt.Sprintf("%x", h.Sum(nil))[:16]
}

// TestGoldenCorpora pins the generator's bytes: benchmarks cache corpora
// by their flags, and compare runs made on different machines and days.
// A change here must come with new hashes and invalidates those caches.
func TestGoldenCorpora(t *testing.T) {
	for _, tc := range []struct {
		args []string
		hash string
	}{
		{[]string{"-files", "4", "-size", "20000"}, "97377fe34663cabb"},
		{[]string{"-vocab", "1000", "-files", "3", "-size", "5000", "-seed", "7", "-crlf-every", "5"}, "d4e34c82f10b4dfe"},
		{[]string{"-vocab", "1000000", "-files", "2", "-size", "300000", "-seed", "42"}, "ca63c02da23564a1"},
	} {
		if _, got := corpusHash(t, tc.args...); got != tc.hash {
			t.Errorf("%v: hash %s, want %s", tc.args, got, tc.hash)
		}
	}
}

func TestTotalMakesFilesOfSize(t *testing.T) {
	for _, tc := range []struct {
		total, size string
		files       int
	}{
		{"480K", "48K", 10},
		{"481K", "48K", 11},
		{"100K", "1M", 1},
	} {
		dir, _ := corpusHash(t, "-total", tc.total, "-size", tc.size)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := parseSize(tc.size)
		if len(entries) != tc.files {
			t.Errorf("-total %s -size %s: %d files, want %d", tc.total, tc.size, len(entries), tc.files)
		}
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() < size || fi.Size() > size+1000 {
				t.Errorf("-size %s: %s has %d bytes", tc.size, e.Name(), fi.Size())
			}
		}
	}
}

func TestFileBytesDoNotDependOnFileCount(t *testing.T) {
	few, _ := corpusHash(t, "-files", "2", "-size", "48K", "-vocab", "1000000")
	many, _ := corpusHash(t, "-total", "960K", "-size", "48K", "-vocab", "1000000")
	for _, name := range []string{"input-1.txt", "input-2.txt"} {
		a, err := os.ReadFile(filepath.Join(few, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(many, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between -files 2 and -total 960K", name)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"200000", 200000, true}, {"48K", 48 << 10, true}, {"48k", 48 << 10, true},
		{"256M", 256 << 20, true}, {"4G", 4 << 30, true},
		{"", 0, false}, {"K", 0, false}, {"1.5M", 0, false}, {"-1", 0, false}, {"1T", 0, false},
		{"9223372036854775807G", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	v := newVocabulary(50000)
	const size = 16 << 20
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		if _, err := generate(io.Discard, v, defaultParams(size, uint64(i))); err != nil {
			b.Fatal(err)
		}
	}
}
