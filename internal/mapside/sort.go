// Sorting a buffer's keys: dealt out by partition, then sorted within each.

package mapside

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// Writing a buffer: its keys dealt out by partition and sorted. The
// index is no longer needed as such then, so its entries are moved in
// place: the keys of one partition end up side by side, and sorting and
// writing them reads a stretch of memory a tenth of the index (with 10
// reduce tasks) instead of jumping all over it.

// partitions deals the keys out by p, or partition(key, nReduce) if p
// is nil, as the indexes of their entries, each partition sorted by key.
// It moves the entries: the index holds the keys of partition 0, then
// those of partition 1, and so on, and can no longer find a key. It
// fails only when p does.
func (gs *groups) partitions(nReduce int, s *keySorter, p Partitioner) ([][]int32, error) {
	used := gs.compact()
	counts := make([]int, nReduce)
	for i := range used {
		var r int
		if p == nil {
			r = partition(gs.keyBytes(&used[i]), nReduce)
		} else if k, err := p(gs.keyBytes(&used[i]), nReduce); err != nil {
			return nil, err
		} else {
			r = k
		}
		used[i].tag = uint32(r) // the tag has placed its entry for the last time
		counts[r]++
	}
	dealOut(used, counts)
	ids := make([]int32, len(used))
	for i := range ids {
		ids[i] = int32(i)
	}
	parts := make([][]int32, nReduce)
	start := 0
	for r, n := range counts {
		parts[r] = ids[start : start+n : start+n]
		s.sort(parts[r], gs)
		start += n
	}
	return parts, nil
}

// compact moves the full entries to the front of the index, in order, and
// returns them.
func (gs *groups) compact() []entry {
	n := 0
	for i := range gs.entries {
		if gs.entries[i].klen != 0 {
			gs.entries[n] = gs.entries[i]
			n++
		}
	}
	clear(gs.entries[n:])
	return gs.entries[:n]
}

// dealOut sorts es by their tags, partitions of which counts tells how
// many there are, in place: an American flag sort, which moves each entry
// once, to one of len(counts) places filled in order.
func dealOut(es []entry, counts []int) {
	next := make([]int, len(counts)) // where the next entry of each partition goes
	end := make([]int, len(counts))
	for r, start := 0, 0; r < len(counts); r++ {
		next[r], end[r] = start, start+counts[r]
		start = end[r]
	}
	for r := range counts {
		for next[r] < end[r] {
			e := es[next[r]]
			for t := int(e.tag); t != r; t = int(e.tag) {
				es[next[t]], e = e, es[next[t]]
				next[t]++
			}
			es[next[r]] = e
			next[r]++
		}
	}
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
