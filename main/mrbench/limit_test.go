// Tests that the fused word count equals the reference count on random texts, however it is cut.

package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// referenceCount is wc done the obvious way: each file's words by
// strings.FieldsFunc, counted in a map, sorted, one "word count" line each.
func referenceCount(t *testing.T, paths []string) []byte {
	t.Helper()
	counts := make(map[string]int)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range strings.FieldsFunc(string(b), func(r rune) bool { return !unicode.IsLetter(r) }) {
			counts[w]++
		}
	}
	var out bytes.Buffer
	for _, w := range slices.Sorted(func(yield func(string) bool) {
		for w := range counts {
			if !yield(w) {
				return
			}
		}
	}) {
		fmt.Fprintf(&out, "%s %d\n", w, counts[w])
	}
	return out.Bytes()
}

// pieces of generated text: ASCII and other letters of one to four bytes,
// separators of one to four bytes, line ends, invalid UTF-8 (a lone lead
// byte, a truncated sequence, a stray continuation byte, 0xff), U+FFFD
// itself and NUL.
var pieces = []string{
	"a", "b", "c", "Z", "q", "the", "and", "x", "é", "ß", "ж", "λ", "Ω", "日", "本", "𝒜",
	" ", " ", " ", ",", ".", "'", "-", "1848", "\n", "\r\n", "\t",
	"\u00a0", "—", "€", "😀", "\ufffd", "\x00",
	"\xff", "\xc3", "\xe2\x82", "\x80", "\xf0\x9d",
}

// randomText returns n pieces chosen by r, so that a few hundred words
// recur and many more are rare.
func randomText(r *rand.Rand, n int) []byte {
	var b []byte
	for range n {
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return b
}

// writeInputs writes the texts to files in a temporary directory.
func writeInputs(t *testing.T, texts ...[]byte) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, text := range texts {
		p := filepath.Join(dir, fmt.Sprintf("in-%d.txt", i))
		if err := os.WriteFile(p, text, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// checkWordCount runs wordCount with cfg and compares its output with
// referenceCount's.
func checkWordCount(t *testing.T, paths []string, cfg limitConfig) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if err := wordCount(paths, out, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceCount(t, paths); !bytes.Equal(got, want) {
		t.Fatalf("%+v: output differs from the reference\ngot:\n%.500s\nwant:\n%.500s", cfg, got, want)
	}
}

func TestWordCountMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	long := bytes.Repeat([]byte("abcé"), 3000) // one word longer than any segment
	paths := writeInputs(t,
		randomText(r, 20000),
		nil,
		randomText(r, 3),
		append(append(randomText(r, 500), long...), randomText(r, 500)...),
		long,
		[]byte("word"), // no line end
		randomText(r, 20000),
		[]byte("\xc3"),
		[]byte("\r\n\r\n"),
	)
	for _, cfg := range []limitConfig{
		{},
		{workers: 1, segment: 1, lookahead: 1},
		{workers: 2, segment: 2, lookahead: 1},
		{workers: 3, segment: 3, lookahead: 2},
		{workers: 4, segment: 7, lookahead: 5, batchFrom: 1},
		{workers: 2, segment: 64, lookahead: 1},
		{workers: 2, segment: 4096, lookahead: 3, batchFrom: 1},
	} {
		checkWordCount(t, paths, cfg)
	}
}

func TestWordCountManyWords(t *testing.T) {
	// Enough distinct words, short and long, to grow the tables many times.
	r := rand.New(rand.NewPCG(3, 4))
	letters := []rune("abcdefghijklmnopqrstuvwxyzéλ")
	var texts [][]byte
	for range 4 {
		var b []byte
		for range 50000 {
			n := 1 + r.IntN(30)
			for range n {
				b = utf8.AppendRune(b, letters[r.IntN(len(letters))])
			}
			b = append(b, " \n"[r.IntN(2)])
		}
		texts = append(texts, b)
	}
	paths := writeInputs(t, texts...)
	checkWordCount(t, paths, limitConfig{})
	checkWordCount(t, paths, limitConfig{workers: 3, segment: 1000, batchFrom: 1})
}

func TestWordCountNoInputWords(t *testing.T) {
	checkWordCount(t, writeInputs(t, nil, []byte("1 2, 3.\n")), limitConfig{})
}

func TestWordCountMissingInput(t *testing.T) {
	err := wordCount([]string{filepath.Join(t.TempDir(), "nosuch")}, filepath.Join(t.TempDir(), "out"), limitConfig{})
	if !os.IsNotExist(err) {
		t.Fatalf("err = %v, want a missing file", err)
	}
}

func TestDecodeLetterAgreesWithUnicode(t *testing.T) {
	// Every byte at or above utf8.RuneSelf, alone, followed by any byte,
	// and followed by any byte and a continuation byte.
	for c0 := utf8.RuneSelf; c0 < 0x100; c0++ {
		for c1 := 0; c1 < 0x100; c1++ {
			for _, b := range [][]byte{{byte(c0)}, {byte(c0), byte(c1)}, {byte(c0), byte(c1), 0x80}} {
				r, wantSize := utf8.DecodeRune(b)
				letter, size := decodeLetter(b, 0)
				if letter != unicode.IsLetter(r) || size != wantSize {
					t.Fatalf("decodeLetter(% x) = %v, %d; want %v, %d", b, letter, size, unicode.IsLetter(r), wantSize)
				}
			}
		}
	}
}

func TestEntriesSortAndPrintAsWords(t *testing.T) {
	words := []string{"a", "aa", "ab", "b", "ba", "z", "é", "éa", "ж", "abcdefgh", "abcdefghi",
		"abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopqr",
		"abcdefghijklmnoq", "abcdefghijklmnpa", "abcdefghijklmnpab"}
	tb := newTable(0)
	for _, w := range words {
		tb.add([]byte(w), hashWord([]byte(w)))
		tb.add([]byte(w), hashWord([]byte(w)))
	}
	m := &merger{tables: []*table{tb}}
	m.idx = []prefixIndex{m.indexByPrefix(0)}
	got := string(m.formatRange(0, nPrefixes))
	slices.Sort(words)
	want := strings.Join(words, " 2\n") + " 2\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for i := 1; i < len(words); i++ {
		a, b := newEntry([]byte(words[i-1]), 1, 0), newEntry([]byte(words[i]), 1, 0)
		if a.prefix() > b.prefix() {
			t.Errorf("prefix(%q) > prefix(%q)", words[i-1], words[i])
		}
	}
}

func BenchmarkCountWords(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	text := randomText(r, 1<<20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		countWords(text, newTable(1<<19))
	}
}
