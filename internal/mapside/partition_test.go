// Tests of partitioning by ranges and by the app's partitioner, with its errors.

package mapside

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRangesSendKeysToTheirRange(t *testing.T) {
	cuts := []string{"b", "d", "d", "x"}
	p := Ranges(cuts)
	for key, want := range map[string]int{"": 0, "a": 0, "azz": 0, "b": 1, "c": 1, "d": 3, "dd": 3, "w": 3, "x": 4, "zz": 4} {
		if got, err := p(key, 5); got != want || err != nil {
			t.Errorf("Ranges(%q) = %d, %v; want %d", key, got, err, want)
		}
	}
	if got, _ := Ranges(nil)("any", 1); got != 0 {
		t.Errorf("one range: %d", got)
	}
}

// Ranges sends every key where comparing it with the cut points as
// strings does, whatever their lengths and shared prefixes, zero bytes
// included: its 8-byte prefixes only ever decide what the strings would.
func TestRangesAgreeWithStringOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := "\x00\x01ab\xff"
	str := func() string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 300 {
		cuts := make([]string, rng.IntN(9))
		for i := range cuts {
			cuts[i] = str()
		}
		slices.Sort(cuts)
		p := Ranges(cuts)
		for range 100 {
			key := str()
			want := 0
			for _, c := range cuts {
				if c <= key {
					want++
				}
			}
			want = min(want, len(cuts))
			if got, _ := p(key, len(cuts)+1); got != want {
				t.Fatalf("cuts %q: key %q in range %d, want %d", cuts, key, got, want)
			}
		}
	}
}

// A partitioner decides each partition's keys, spilled or not; each run
// stays sorted.
func TestPartitionerDecidesWhereKeysGo(t *testing.T) {
	for _, limit := range []int64{1 << 20, 256} { // in memory; many spills
		dir := t.TempDir()
		o := New(3, limit, nil, spillTo(dir))
		o.SetPartitioner(Ranges([]string{"k10", "k20"}))
		for i := range 300 {
			o.Emit(fmt.Sprintf("k%02d", i%30), "v")
		}
		final := filepath.Join(dir, "final")
		if _, err := o.Finish(final); err != nil {
			t.Fatal(err)
		}
		for r := range 3 {
			recs, err := readSection(final, r)
			if err != nil || len(recs) != 100 {
				t.Fatalf("limit %d: partition %d: %d records, %v", limit, r, len(recs), err)
			}
			lo, hi := fmt.Sprintf("k%02d", 10*r), fmt.Sprintf("k%02d", 10*r+9)
			for i, kv := range recs {
				if kv.Key < lo || kv.Key > hi || (i > 0 && kv.Key < recs[i-1].Key) {
					t.Fatalf("limit %d: partition %d holds %q out of [%s, %s] or out of order", limit, r, kv.Key, lo, hi)
				}
			}
		}
	}
}

func TestPartitionerErrorStopsTheOutput(t *testing.T) {
	for _, limit := range []int64{1 << 20, 256} {
		dir := t.TempDir()
		o := New(2, limit, nil, spillTo(dir))
		bad := errors.New("no partition for k13")
		o.SetPartitioner(func(key string, n int) (int, error) {
			if key == "k13" {
				return 0, bad
			}
			return 0, nil
		})
		for i := range 100 {
			o.Emit(fmt.Sprintf("k%02d", i%20), strings.Repeat("v", 10))
		}
		if _, err := o.Finish(filepath.Join(dir, "final")); !errors.Is(err, bad) {
			t.Fatalf("limit %d: Finish = %v, want the partitioner's error", limit, err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*spill*")); len(left) > 0 {
			t.Fatalf("spill files left: %v", left)
		}
	}
}
