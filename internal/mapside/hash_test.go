// Tests of the key hash: every byte counts, close keys spread, and the
// default partitions it makes are the job's.

package mapside

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// Every byte of a key counts, at every length.
func TestHashKeyReadsEveryByte(t *testing.T) {
	s := seedOf(rand.Uint64())
	for n := range 40 {
		key := []byte(fmt.Sprintf("%040d", n))[:n]
		h := hashKey(&s, string(key))
		if n > 0 && h == hashKey(&s, string(key[:n-1])) {
			t.Errorf("len %d: same hash as without the last byte", n)
		}
		for i := range key {
			key[i] ^= 1
			if hashKey(&s, string(key)) == h {
				t.Errorf("len %d: byte %d does not change the hash", n, i)
			}
			key[i] ^= 1
		}
	}
}

// The top bits, which place entries, spread keys that differ little.
func TestHashKeySpreads(t *testing.T) {
	s := seedOf(rand.Uint64())
	const bits, keys = 10, 1 << 18
	var count [1 << bits]int
	for i := range keys {
		count[hashKey(&s, fmt.Sprint("w", i))>>(64-bits)]++
	}
	for b, c := range count {
		if c < keys>>bits/2 || c > keys>>bits*2 {
			t.Fatalf("bucket %d holds %d keys of %d, want about %d", b, c, keys, keys>>bits)
		}
	}
}

// shortKey reads a key as the zero-padded bytes an entry holds.
func TestShortKey(t *testing.T) {
	for n := range inlineKey + 1 {
		key := "\xffabcdefghijklmn\x80"[:n]
		var b [16]byte
		copy(b[:], key)
		w0, w1 := shortKey(key)
		if w0 != binary.LittleEndian.Uint64(b[:8]) || w1 != binary.LittleEndian.Uint64(b[8:]) {
			t.Errorf("shortKey(%q) = %x %x, want the bytes %x", key, w0, w1, b)
		}
	}
}

// The default partition is the job's: two outputs of one seed send every
// key where Partition says, held in an index or in order, whatever the
// key's length; another seed sends keys elsewhere; and the partitions are
// about even.
func TestPartitionIsTheJobs(t *testing.T) {
	const n = 7
	var keys []string
	for i := range 20000 {
		keys = append(keys, fmt.Sprintf("%0*d", 1+i%40, i)) // short and long keys
	}
	for _, seed := range []uint64{0, 1, 0xfeedface} {
		for _, limit := range []int64{64 << 20, 192 << 10} { // an index; buffers held in order after a spill
			dir := t.TempDir()
			o := New(n, limit, nil, spillTo(dir))
			o.SetSeed(seed)
			for _, k := range keys {
				o.Emit(k, "v")
			}
			if limit < 1<<20 && !o.gs.inOrder {
				t.Fatalf("limit %d: distinct keys, yet the buffer is not held in order", limit)
			}
			final := filepath.Join(dir, "final")
			if _, err := o.Finish(final); err != nil {
				t.Fatal(err)
			}
			held := 0
			for r := range n {
				recs, err := readSection(final, r)
				if err != nil {
					t.Fatal(err)
				}
				for _, kv := range recs {
					if p := Partition(seed, kv.Key, n); p != r {
						t.Fatalf("seed %d, limit %d: key %q in partition %d, Partition says %d", seed, limit, kv.Key, r, p)
					}
				}
				if held += len(recs); len(recs) < len(keys)/n/2 || len(recs) > len(keys)/n*2 {
					t.Errorf("seed %d: partition %d holds %d keys of %d", seed, r, len(recs), len(keys))
				}
			}
			if held != len(keys) {
				t.Fatalf("seed %d, limit %d: %d keys written of %d", seed, limit, held, len(keys))
			}
		}
	}
	moved := 0
	for _, k := range keys {
		if Partition(1, k, n) != Partition(2, k, n) {
			moved++
		}
	}
	if moved < len(keys)/2 {
		t.Fatalf("another seed moved %d keys of %d", moved, len(keys))
	}
}
