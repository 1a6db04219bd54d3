// Tests of uniq: lines counted the same with and without Combine.

package main

import (
	"strings"
	"testing"
)

// Map emits every non-empty line once, whole, and Reduce after Combine
// counts as Reduce alone does.
func TestUniqCountsLines(t *testing.T) {
	kvs := Map("f", "b a\n\nb a\r\nb a\nlast")
	var keys []string
	for _, kv := range kvs {
		keys = append(keys, kv.Key)
	}
	if got := strings.Join(keys, "|"); got != "b a|b a\r|b a|last" {
		t.Fatalf("keys %q", got)
	}
	values := []string{"1", "1", "1"}
	if got := Reduce("b a", append(Combine("b a", values[:2]), values[2:]...)); got != "3" {
		t.Fatalf("Reduce after Combine = %s, want 3", got)
	}
}
