package main

import (
	"strings"
	"testing"
	"unicode"
)

func TestMapFindsTheWordsOfFieldsFunc(t *testing.T) {
	for _, s := range []string{
		"", "a", " a b ", "hello, world!\n", "don't stop-me 1848 now",
		"épée straße кот λόγος Ωmega", "x\xffy\xc3", "日本語の文", "a\u00a0b", "end",
	} {
		want := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		var got []string
		for _, kv := range Map("f", s) {
			got = append(got, kv.Key)
			if kv.Value != "1" {
				t.Fatalf("value %q", kv.Value)
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("Map(%q) words = %q, want %q", s, got, want)
		}
	}
}

func TestCombineKeepsTheCount(t *testing.T) {
	values := []string{"1", "1", "1", "1", "1"}
	partial := append(Combine("w", values[:3]), values[3:]...)
	if got, want := Reduce("w", partial), Reduce("w", values); got != want || want != "5" {
		t.Fatalf("Reduce after Combine = %s, without = %s", got, want)
	}
}
