package mapside

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// Writing a buffer: its keys dealt out by partition and sorted.

// partitions deals the keys out by Partition(key, nReduce), as the
// indexes of their entries, each partition sorted by key.
func (gs *groups) partitions(nReduce int, s *keySorter) [][]int32 {
	part := make([]int32, 0, gs.used)
	ids := make([]int32, 0, gs.used)
	counts := make([]int, nReduce)
	for i := range gs.entries {
		if e := &gs.entries[i]; e.klen != 0 {
			r := partition(gs.keyBytes(e), nReduce)
			part, ids = append(part, int32(r)), append(ids, int32(i))
			counts[r]++
		}
	}
	sorted := make([]int32, len(ids))
	parts := make([][]int32, nReduce)
	start := 0
	for r, n := range counts {
		parts[r] = sorted[start:start:(start + n)]
		start += n
	}
	for i, r := range part {
		parts[r] = append(parts[r], ids[i])
	}
	for _, p := range parts {
		s.sort(p, gs)
	}
	return parts
}

// keySorter sorts partitions of keys, reusing its buffers.
type keySorter struct{ es, scratch []sortEntry }

// sortEntry is the index of a key's entry and the first 8 bytes of the
// key, which decide most comparisons without reading the key.
type sortEntry struct {
	prefix uint64 // big-endian, padded with zeros
	id     int32
}

// sort sorts ids of entries by their keys.
func (s *keySorter) sort(ids []int32, gs *groups) {
	if len(ids) < 2 {
		return
	}
	es := s.es[:0]
	for _, id := range ids {
		es = append(es, sortEntry{binary.BigEndian.Uint64(gs.entries[id].key[:8]), id})
	}
	s.scratch = slices.Grow(s.scratch[:0], len(es))[:len(es)]
	byKey := func(a, b sortEntry) int {
		if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return bytes.Compare(gs.keyBytes(&gs.entries[a.id]), gs.keyBytes(&gs.entries[b.id]))
	}
	radixSort(es, s.scratch, 0, byKey)
	for i := range es {
		ids[i] = es[i].id
	}
	s.es = es
}

// radixSort sorts es as byKey orders them, using scratch, as long as es:
// a most-significant-digit radix sort on byte d and the next ones of the
// prefixes, which hands small buckets, and entries that share their
// prefix, to a comparison sort.
func radixSort(es, scratch []sortEntry, d int, byKey func(a, b sortEntry) int) {
	if len(es) <= 32 || d == 8 {
		slices.SortFunc(es, byKey)
		return
	}
	shift := 56 - 8*d
	var count [256]int
	for i := range es {
		count[byte(es[i].prefix>>shift)]++
	}
	if count[byte(es[0].prefix>>shift)] < len(es) { // more than one bucket
		var next [256]int
		for b := 1; b < 256; b++ {
			next[b] = next[b-1] + count[b-1]
		}
		for i := range es {
			b := byte(es[i].prefix >> shift)
			scratch[next[b]] = es[i]
			next[b]++
		}
		copy(es, scratch)
	}
	lo := 0
	for _, n := range count {
		if n > 1 {
			radixSort(es[lo:lo+n], scratch[lo:lo+n], d+1, byKey)
		}
		lo += n
	}
}

// keyText returns the keys of the entries ids, in order, as one string,
// so that writing them allocates once.
func (gs *groups) keyText(ids []int32, buf *[]byte) string {
	b := (*buf)[:0]
	for _, id := range ids {
		b = append(b, gs.keyBytes(&gs.entries[id])...)
	}
	*buf = b
	return string(b)
}
