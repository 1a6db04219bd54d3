// Tests of grep: matches keyed by file and line, and Map without a
// pattern panics.

package main

import (
	"slices"
	"testing"

	"mapreduce/mr"
)

func TestGrepKeysMatchesByFileAndLine(t *testing.T) {
	mr.SetParams(map[string]string{"pattern": "[Ww]hale"})
	defer mr.SetParams(nil)
	got := Map("moby.txt", "a whale\n\nno\nWhale, last line without newline")
	want := []mr.KeyValue{{Key: "moby.txt:1", Value: "a whale"}, {Key: "moby.txt:4", Value: "Whale, last line without newline"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Map = %q, want %q", got, want)
	}
}

func TestGrepWithoutPatternPanics(t *testing.T) {
	mr.SetParams(nil)
	defer func() {
		if recover() == nil {
			t.Fatal("Map without a pattern did not panic")
		}
	}()
	Map("a.txt", "whale\n")
}
