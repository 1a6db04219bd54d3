package mapside

import (
	"math/bits"
	"math/rand/v2"
)

// The key index's hash: wyhash's mixing (a 64x64->128-bit multiply whose
// halves are xored) over the key read 8 bytes at a time, inlined where
// maphash costs a few calls per key; a word takes two or three multiplies.
// Both factors of every multiply are xored with secret random words, so
// keys chosen to collide cannot be made without knowing them.

// hashSeed is the secret of one output's hash.
type hashSeed [3]uint64

func newHashSeed() hashSeed { return hashSeed{rand.Uint64(), rand.Uint64(), rand.Uint64()} }

// hashKey returns the hash of key.
func hashKey(s *hashSeed, key string) uint64 {
	n := len(key)
	h := s[2]
	for ; len(key) > 16; key = key[16:] {
		h = mix(load64(key)^s[0], load64(key[8:])^h)
	}
	var a, b uint64
	switch k := len(key); {
	case k >= 8:
		a, b = load64(key), load64(key[k-8:])
	case k >= 4:
		a, b = uint64(load32(key)), uint64(load32(key[k-4:]))
	case k > 0:
		a = uint64(key[0])<<16 | uint64(key[k>>1])<<8 | uint64(key[k-1])
	}
	return mix(s[0]^uint64(n), mix(a^s[1], b^h))
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
