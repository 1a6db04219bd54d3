// Tests of finding words against strings.FieldsFunc, on chosen, random
// and fuzzed text, and a benchmark.

package words

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestEachFindsTheWordsOfFieldsFunc(t *testing.T) {
	for _, s := range []string{
		"", "a", " a b ", "hello, world!\n", "don't stop-me 1848 now",
		"épée straße кот λόγος Ωmega", "x\xffy\xc3", "日本語の文", "a\u00a0b", "end",
	} {
		want := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		var got []string
		each(s, func(w, _ string) { got = append(got, w) }, "")
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("each(%q) = %q, want %q", s, got, want)
		}
	}
}

// each agrees with strings.FieldsFunc on random mixtures of ASCII,
// letters and non-letters beyond ASCII, and invalid UTF-8.
func TestEachOnRandomText(t *testing.T) {
	pieces := []string{"a", "Z", "q", " ", ",", "1", "'", "\n", "é", "ß", "кот", "日", "\u00a0", "\u2028", "½", "\xff", "\xc3", "\xe6\x97", "𝔘", "\U0001F600"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		want := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		var got []string
		each(s, func(w, _ string) { got = append(got, w) }, "")
		if !slices.Equal(got, want) {
			t.Fatalf("each(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzEach(f *testing.F) {
	f.Add("hello, wörld\xff日本")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		var got []string
		each(s, func(w, _ string) { got = append(got, w) }, "")
		if !slices.Equal(got, want) {
			t.Fatalf("each(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkEach splits text like mrgen's: words of 2 to 12 letters, some
// beyond ASCII, separated by spaces, punctuation and newlines.
func BenchmarkEach(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		for n := 2 + rng.IntN(11); n > 0; n-- {
			sb.WriteByte(byte('a' + rng.IntN(26)))
		}
		if rng.IntN(10) == 0 {
			sb.WriteString("é")
		}
		sb.WriteString([]string{" ", " ", " ", ", ", ".\n"}[rng.IntN(5)])
	}
	s := sb.String()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		n := 0
		each(s, func(string, string) { n++ }, "")
	}
}
