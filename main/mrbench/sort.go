// Sorting the fused count's words: packed entries ordered by their bytes.

package main

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
)

// entry is a word of one table and its count there. It holds no pointer,
// so sorting moves 32 bytes that the garbage collector never scans, and
// the first 16 bytes of the word, which decide most comparisons and are
// the whole of most words.
type entry struct {
	hi, lo uint64 // the word's first 16 bytes, big-endian, padded with zeros
	count  uint64
	ref    uint64 // the table's index<<refShift | the slot's index
}

// refShift leaves room in entry.ref for 2^40 slots.
const refShift = 40

func newEntry(w []byte, count, ref uint64) entry {
	var b [16]byte
	copy(b[:], w)
	return entry{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), count, ref}
}

// prefix returns the first two bytes of e's word, as a number.
func (e *entry) prefix() int { return int(e.hi >> 48) }

// short reports whether e's word is shorter than 16 bytes and so is all
// in hi and lo: no word holds a zero byte.
func (e *entry) short() bool { return e.lo&0xff == 0 }

// digit returns byte d of e's word, or 0 past its end; d < 16.
func (e *entry) digit(d int) byte {
	if d < 8 {
		return byte(e.hi >> (56 - 8*d))
	}
	return byte(e.lo >> (56 - 8*(d-8)))
}

// word returns e's word, read from its table.
func (m *merger) word(e *entry) []byte {
	t := m.tables[e.ref>>refShift]
	return t.key(&t.slots[e.ref&(1<<refShift-1)])
}

// appendWord appends e's word to b.
func (m *merger) appendWord(b []byte, e *entry) []byte {
	if !e.short() {
		return append(b, m.word(e)...)
	}
	var w [16]byte
	binary.BigEndian.PutUint64(w[:8], e.hi)
	binary.BigEndian.PutUint64(w[8:], e.lo)
	n := 16 - bits.TrailingZeros64(e.lo)/8
	if e.lo == 0 {
		n = 8 - bits.TrailingZeros64(e.hi)/8
	}
	return append(b, w[:n]...)
}

// compare orders entries as bytes.Compare orders their words.
func (m *merger) compare(a, b entry) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	if a.short() { // and so is b: they are equal
		return 0
	}
	return bytes.Compare(m.word(&a)[16:], m.word(&b)[16:])
}

// sortEntries sorts es as compare orders them, using scratch, as long as
// es, for its work: a most-significant-digit radix sort on byte d and the
// next ones of the words, which hands small buckets, and words that share
// their first 16 bytes, to a comparison sort.
func (m *merger) sortEntries(es, scratch []entry, d int) {
	if len(es) <= 32 || d == 16 {
		slices.SortFunc(es, m.compare)
		return
	}
	var count [256]int
	for i := range es {
		count[es[i].digit(d)]++
	}
	if count[es[0].digit(d)] < len(es) { // more than one bucket
		var next [256]int
		for b := 1; b < 256; b++ {
			next[b] = next[b-1] + count[b-1]
		}
		for i := range es {
			b := es[i].digit(d)
			scratch[next[b]] = es[i]
			next[b]++
		}
		copy(es, scratch)
	}
	// Bucket 0 holds words of d bytes, all equal since their first d are.
	lo := count[0]
	for b := 1; b < 256; b++ {
		hi := lo + count[b]
		if count[b] > 1 {
			m.sortEntries(es[lo:hi], scratch[lo:hi], d+1)
		}
		lo = hi
	}
}
