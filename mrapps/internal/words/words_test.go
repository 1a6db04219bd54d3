package words

import (
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
		Each(s, func(w string) { got = append(got, w) })
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("Each(%q) = %q, want %q", s, got, want)
		}
	}
}
