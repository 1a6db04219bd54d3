package mapside

import (
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
