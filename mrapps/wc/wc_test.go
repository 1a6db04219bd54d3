// Tests of wc: Combine keeps the count, and MapEmit emits what Map returns.

package main

import "testing"

func TestCombineKeepsTheCount(t *testing.T) {
	values := []string{"1", "1", "1", "1", "1"}
	partial := append(Combine("w", values[:3]), values[3:]...)
	if got, want := Reduce("w", partial), Reduce("w", values); got != want || want != "5" {
		t.Fatalf("Reduce after Combine = %s, without = %s", got, want)
	}
}

func TestMapEmitMatchesMap(t *testing.T) {
	var emitted []string
	MapEmit("f", "a bc, dé!", func(k, v string) { emitted = append(emitted, k+"="+v) })
	kvs := Map("f", "a bc, dé!")
	if len(kvs) != 3 || len(emitted) != 3 || emitted[2] != "dé=1" || kvs[2].Key != "dé" {
		t.Fatalf("Map = %v, MapEmit = %v", kvs, emitted)
	}
}
