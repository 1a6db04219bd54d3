// Tests of sort: records keyed by their first ten bytes, every record of
// a key given back, and a line that is not a record refused.

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
	var got []string
	ReduceEmit("0123456789", slices.Values([]string{"z", "a", "m"}), func(v string) { got = append(got, v) })
	if !slices.Equal(got, []string{"a", "m", "z"}) {
		t.Fatalf("ReduceEmit emitted %q", got)
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
