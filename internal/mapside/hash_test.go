// Tests of the key hash: every byte counts, and close keys spread.

package mapside

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// Every byte of a key counts, at every length.
func TestHashKeyReadsEveryByte(t *testing.T) {
	s := newHashSeed()
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
	s := newHashSeed()
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
