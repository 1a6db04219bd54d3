package main

import (
	"slices"
	"strings"
	"testing"

	"mapreduce/mr"
)

func TestSortKeysRecordsByTheirFirstTenBytes(t *testing.T) {
	got := Map("r.txt", "0123456789 rest one\nabcdefghij rest two\n")
	want := []mr.KeyValue{{Key: "0123456789", Value: "rest one"}, {Key: "abcdefghij", Value: "rest two"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Map = %q, want %q", got, want)
	}
}

func TestSortReduceGivesEveryRecordOfAKeyBack(t *testing.T) {
	if got := Reduce("0123456789", []string{"z", "a"}); got != "a\n0123456789 z" {
		t.Fatalf("Reduce = %q", got)
	}
	if got := Reduce("0123456789", []string{"only"}); got != "only" {
		t.Fatalf("Reduce = %q", got)
	}
}

func TestSortRefusesALineThatIsNotARecord(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "line 2") {
			t.Fatalf("panic = %v, want one naming line 2", p)
		}
	}()
	Map("r.txt", "0123456789 fine\nshort\n")
}
