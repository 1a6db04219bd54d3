// Sorting a buffer's keys: dealt out by partition, then sorted within each.

package mapside

import (
	"cmp"
	"encoding/binary"
	"slices"
	"unsafe"
)

// Writing a buffer: its keys dealt out by partition and sorted. The
// index is no longer needed as such then, so its entries are moved in
// place: the keys of one partition end up side by side, and sorting and
// writing them reads a stretch of memory a tenth of the index (with 10
// reduce tasks) instead of jumping all over it.

// partitions deals the keys out by the partitions found as they were
// added, as the indexes of their entries, each partition sorted by key.
// It moves the entries: the index holds the keys of partition 0, then
// those of partition 1, and so on, and can no longer find a key.
func (gs *groups) partitions(nReduce int, s *keySorter) [][]int32 {
	if gs.inOrder {
		return gs.partitionsInOrder(nReduce, s)
	}
	used, parts := gs.compact()
	counts := make([]int, nReduce)
	for i := range used {
		used[i].tag = parts[i] // the tag has placed its entry for the last time
		counts[parts[i]]++
	}
	dealOut(used, counts)
	ids := make([]int32, len(used))
	for i := range ids {
		ids[i] = int32(i)
	}
	return sortParts(ids, counts, s, gs)
}

// sortParts cuts ids into partitions of counts[r] ids each, in order,
// and sorts each by key.
func sortParts(ids []int32, counts []int, s *keySorter, gs *groups) [][]int32 {
	out := make([][]int32, len(counts))
	start := 0
	for r, n := range counts {
		out[r] = ids[start : start+n : start+n]
		s.sort(out[r], gs)
		start += n
	}
	return out
}

// compact moves the full entries, and their partitions, to the front of
// the index, in order, and returns them.
func (gs *groups) compact() ([]entry, []uint32) {
	n := 0
	for i := range gs.entries {
		if gs.entries[i].klen != 0 {
			gs.entries[n], gs.parts[n] = gs.entries[i], gs.parts[i]
			n++
		}
	}
	clear(gs.entries[n:])
	return gs.entries[:n], gs.parts[:n]
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

// sort sorts ids of entries by their keys, and equal keys (a buffer held
// in order has them) by their ids.
func (s *keySorter) sort(ids []int32, gs *groups) {
	if len(ids) < 2 {
		return
	}
	es := s.es[:0]
	for _, id := range ids {
		es = append(es, sortEntry{binary.BigEndian.Uint64(gs.entries[id].key[:8]), id})
	}
	s.scratch = slices.Grow(s.scratch[:0], len(es))[:len(es)]
	radixSort(es, s.scratch, 0, 0, func(id int32) []byte { return gs.keyBytes(&gs.entries[id]) })
	for i := range es {
		ids[i] = es[i].id
	}
	s.es = es
}

// smallSort is the size of bucket radixSort hands to insertionSort.
const smallSort = 64

// radixSort sorts es by their keys, and equal keys by their ids, using
// scratch, as long as es: a most-significant-digit radix sort on byte d
// and the next ones of the prefixes, the key's 8 bytes from off, which
// hands small buckets to insertionSort. Entries whose prefixes tie get the
// next 8 bytes of their keys as prefix, read once each (lines that begin
// alike would otherwise cost a comparison sort that reads each key many
// times), until no key of them is longer.
func radixSort(es, scratch []sortEntry, d, off int, key func(id int32) []byte) {
	if d == 8 {
		if !nextPrefixes(es, off+8, key) {
			sortTied(es, key)
			return
		}
		d, off = 0, off+8
	}
	if len(es) <= smallSort {
		insertionSort(es, off, key)
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
			radixSort(es[lo:lo+n], scratch[lo:lo+n], d+1, off, key)
		}
		lo += n
	}
}

// insertionSort sorts a few entries, their prefixes the keys' 8 bytes from
// off, as radixSort does: by prefix, comparing numbers only; then each run
// of tied prefixes again, on the next 8 bytes of its keys. Equal keys tie
// to their ends, where sortTied puts them in order of id.
func insertionSort(es []sortEntry, off int, key func(id int32) []byte) {
	for i := 1; i < len(es); i++ {
		e, j := es[i], i
		for ; j > 0 && es[j-1].prefix > e.prefix; j-- {
			es[j] = es[j-1]
		}
		es[j] = e
	}
	for lo := 0; lo < len(es)-1; {
		hi := lo + 1
		for hi < len(es) && es[hi].prefix == es[lo].prefix {
			hi++
		}
		if hi-lo > 1 {
			if nextPrefixes(es[lo:hi], off+8, key) {
				insertionSort(es[lo:hi], off+8, key)
			} else {
				sortTied(es[lo:hi], key)
			}
		}
		lo = hi
	}
}

// sortTied sorts entries whose keys agree byte for byte, padded with
// zeros, and all end by the bytes read so far: a key that is shorter is
// the other one cut before zero bytes, and comes first. Equal keys go by
// id.
func sortTied(es []sortEntry, key func(id int32) []byte) {
	slices.SortFunc(es, func(a, b sortEntry) int {
		if c := cmp.Compare(len(key(a.id)), len(key(b.id))); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}

// nextPrefixes sets the prefix of each of es to the 8 bytes of its key
// from off, padded with zeros, if some key is longer than off; else it
// changes nothing and returns false.
func nextPrefixes(es []sortEntry, off int, key func(id int32) []byte) bool {
	longer := false
	for i := range es {
		if len(key(es[i].id)) > off {
			longer = true
			break
		}
	}
	if !longer {
		return false
	}
	for i := range es {
		es[i].prefix = prefixAt(key(es[i].id), off)
	}
	return true
}

// prefixAt is the 8 bytes of k from off, big-endian, padded with zeros:
// one load where k has them all (a copy for each key was about 4 % of
// uniq's map task).
func prefixAt(k []byte, off int) uint64 {
	if len(k) >= off+8 {
		return binary.BigEndian.Uint64(k[off:])
	}
	var p [8]byte
	if len(k) > off {
		copy(p[:], k[off:])
	}
	return binary.BigEndian.Uint64(p[:])
}

// keyText returns the keys of the entries ids, in order, as one string,
// so that writing them copies each key once. The string lies in a buffer
// keyText reuses, so that a task's spills do not each fill fresh memory
// (a page fault per 4 KiB on first touch: for uniq's 90-byte keys about
// 7 % of a map task): it is valid until the next call, and no part of it
// may reach the app's code, which may keep what it is given (writeKey
// hands Combine a copy).
func (gs *groups) keyText(ids []int32) string {
	n := 0
	for _, id := range ids {
		n += int(gs.entries[id].klen - 1)
	}
	if cap(gs.keyBuf) < n {
		gs.keyBuf = make([]byte, 0, n+n/4)
	}
	b := gs.keyBuf[:0]
	for _, id := range ids {
		b = append(b, gs.keyBytes(&gs.entries[id])...)
	}
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
