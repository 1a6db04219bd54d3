// The key index's hash: a seeded wyhash-style mix of every byte of a key.

package mapside

import "math/bits"

// The key index's hash: wyhash's mixing (a 64x64->128-bit multiply whose
// halves are xored) over the key read 8 bytes at a time, inlined where
// maphash costs a few calls per key; a word takes two multiplies. A short
// key is read once, into the two words its entry holds, which serve for
// the hash and for the comparison.
// Both factors of every multiply are xored with secret random words, so
// keys chosen to collide cannot be made without knowing them.

// The same hash, its low half, partitions the keys by default
// (partOf): every map task of a job hashes with the job's seed, so that
// they all send a key to the same reduce task, and a key is hashed once
// for both. The seed is drawn when the job starts, after its inputs are
// fixed: an input cannot be made of keys that collide for it.

// hashSeed is the secret of a job's hash, three words expanded from one.
type hashSeed [3]uint64

// seedOf expands seed into a hashSeed (SplitMix64's steps).
func seedOf(seed uint64) hashSeed {
	var s hashSeed
	for i := range s {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		s[i] = z ^ z>>31
	}
	return s
}

// partOf is the partition among n of a key whose hash is h: the hash's
// low half scaled to n, the high half being the index's tag. It must
// never change, or map outputs of two builds would disagree
// (protocol.Partitioning names it).
func partOf(h uint64, n int) uint32 { return uint32(uint64(uint32(h)) * uint64(n) >> 32) }

// Partition is the default partition among n of key in a job whose seed
// is seed, as every map task of the job finds it.
func Partition(seed uint64, key string, n int) int {
	s := seedOf(seed)
	return int(partOf(hashKey(&s, key), n))
}

// hashKey returns the hash of key.
func hashKey(s *hashSeed, key string) uint64 {
	if len(key) <= inlineKey {
		w0, w1 := shortKey(key)
		return hashShort(s, w0, w1, len(key))
	}
	h := s[2]
	for rest := key; len(rest) > 16; rest = rest[16:] {
		h = mix(load64(rest)^s[0], load64(rest[8:])^h)
	}
	last := key[len(key)-16:]
	return mix(s[0]^uint64(len(key)), mix(load64(last)^s[1], load64(last[8:])^h))
}

// hashShort is hashKey of a key of n <= inlineKey bytes, given as
// shortKey returns it.
func hashShort(s *hashSeed, w0, w1 uint64, n int) uint64 {
	return mix(s[0]^uint64(n), mix(w0^s[1], w1^s[2]))
}

// shortKey returns key, of at most 16 bytes, as two little-endian words,
// padded with zeros: the bytes an entry holds. It reads each byte once or
// twice, in at most four loads.
func shortKey(key string) (w0, w1 uint64) {
	switch n := len(key); {
	case n > 8:
		return load64(key), load64(key[n-8:]) >> (8 * (16 - n))
	case n == 8:
		return load64(key), 0
	case n >= 4:
		return uint64(load32(key)) | uint64(load32(key[n-4:]))<<(8*(n-4)), 0
	case n > 0:
		return uint64(key[0]) | uint64(key[n>>1])<<(8*(n>>1)) | uint64(key[n-1])<<(8*(n-1)), 0
	}
	return 0, 0
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// load64 returns the first 8 bytes of s, little-endian.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 returns the first 4 bytes of s, little-endian.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
