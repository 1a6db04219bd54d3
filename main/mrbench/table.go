// The fused word count's table: an open-addressing map from word to count.

package main

import (
	"encoding/binary"
	"math/bits"
)

// inlineMax is the longest key a slot holds itself; longer keys live in
// the table's arena. Most words are shorter, so a lookup usually touches
// one cache line.
const inlineMax = 16

// slot is one entry of a table: 32 bytes, two to a cache line.
type slot struct {
	count uint64          // occurrences; 0 marks an empty slot
	tag   uint32          // the hash's high half: places the slot; most mismatches stop here
	n     uint32          // key length
	key   [inlineMax]byte // the key if n <= inlineMax, else its arena offset
}

// table counts words: an open-addressing hash table with linear probing
// over []byte keys, so that counting an occurrence of a known word copies
// and allocates nothing. Keys must be shorter than 4 GiB. The zero table
// is not usable: see newTable.
type table struct {
	slots []slot // 1<<(32-shift) long
	shift uint   // a word's probe starts at slot hash>>32>>shift
	used  int
	arena []byte // keys longer than inlineMax, back to back

	batchFrom int    // the number of slots from which countWords batches lookups
	touched   uint64 // a sum that keeps addBatch's reads from being optimised away
}

// newTable returns an empty table; countWords batches its lookups
// (addBatch) once it has batchFrom slots or more.
func newTable(batchFrom int) *table {
	return &table{slots: make([]slot, 1<<12), shift: 32 - 12, batchFrom: batchFrom}
}

// add counts one occurrence of w, which must not be empty; h is
// hashWord(w).
func (t *table) add(w []byte, h uint64) {
	tag, n := uint32(h>>32), uint32(len(w))
	mask := uint32(len(t.slots) - 1)
	for i := tag >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.count == 0 {
			t.insert(s, w, tag)
			return
		}
		if s.tag == tag && s.n == n && string(t.key(s)) == string(w) {
			s.count++
			return
		}
	}
}

// batchLen is how many words addBatch looks up at once.
const batchLen = 32

// batch is words waiting to be counted, with their hashes.
type batch struct {
	n      int
	words  [batchLen][]byte
	hashes [batchLen]uint64
}

// push adds w to b, which must not be full.
func (b *batch) push(w []byte) {
	b.words[b.n], b.hashes[b.n] = w, hashWord(w)
	b.n++
}

// addBatch counts the words of b and empties it. It first reads the slot
// where each word's probe starts, all at once, so that their cache misses
// overlap instead of coming one after the other: in a large table most
// lookups miss.
func (t *table) addBatch(b *batch) {
	var touch uint64
	for _, h := range b.hashes[:b.n] {
		touch += t.slots[uint32(h>>32)>>t.shift].count
	}
	t.touched += touch
	for k, w := range b.words[:b.n] {
		t.add(w, b.hashes[k])
	}
	b.n = 0
}

// insert fills the empty slot s with w, counted once, and grows the table
// past a load of 3/4.
func (t *table) insert(s *slot, w []byte, tag uint32) {
	s.count, s.tag, s.n = 1, tag, uint32(len(w))
	if len(w) <= inlineMax {
		copy(s.key[:], w)
	} else {
		binary.LittleEndian.PutUint64(s.key[:], uint64(len(t.arena)))
		t.arena = append(t.arena, w...)
	}
	t.used++
	if t.used*4 > len(t.slots)*3 {
		t.grow()
	}
}

// key returns the key of the full slot s, which must not move while the
// result is in use.
func (t *table) key(s *slot) []byte {
	if s.n <= inlineMax {
		return s.key[:s.n]
	}
	off := binary.LittleEndian.Uint64(s.key[:])
	return t.arena[off : off+uint64(s.n)]
}

// grow doubles the slots and reinserts every full one, at the place its
// tag gives: the keys are not read again.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	t.shift--
	mask := uint32(len(t.slots) - 1)
	for i := range old {
		s := &old[i]
		if s.count == 0 {
			continue
		}
		j := s.tag >> t.shift
		for t.slots[j].count != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = *s
	}
}

const (
	hashMul0 = 0x9e3779b97f4a7c15
	hashMul1 = 0xbf58476d1ce4e5b9
)

// hashWord hashes a non-empty w eight bytes at a time: words are short,
// so one or two multiplications usually do.
func hashWord(w []byte) uint64 {
	h := uint64(len(w)) * hashMul0
	for len(w) > 8 {
		h = mix(h ^ binary.LittleEndian.Uint64(w))
		w = w[8:]
	}
	var x uint64
	switch n := len(w); {
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(w)) | uint64(binary.LittleEndian.Uint32(w[n-4:]))<<32
	case n > 0:
		x = uint64(w[0]) | uint64(w[n/2])<<8 | uint64(w[n-1])<<16
	}
	return mix(h ^ x)
}

func mix(x uint64) uint64 {
	hi, lo := bits.Mul64(x, hashMul1)
	return hi ^ lo
}
