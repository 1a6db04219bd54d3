package mapside

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
)

// The map output's groups: one per distinct key, allocated chunkSize at
// a time, found through an open-addressing index, and sorted by key for
// writing.

// group is one distinct key of a map output and its values in emission
// order, as runs of equal values: the earlier runs in groups.runs, the
// current one in last and n.
type group struct {
	key  string
	last string // the current run's value
	n    uint32 // the current run's length; 0 only if Combine returned nothing
	more int32  // index of the earlier runs in groups.runs, 0 for none
}

// runs are a group's earlier runs: vals[i] repeated reps[i] times, or
// once each while reps is nil.
type runs struct {
	vals []string
	reps []uint32
}

// indexSlot is a slot of the key index: a key's 32-bit hash and its
// group's id + 1, or zero if empty.
type indexSlot struct{ hash, id uint32 }

const (
	chunkSize    = 1024 // groups allocated at once: 40 KiB, whole pages
	minIndexSize = 64   // slots of an empty index
)

// groups is the set of groups of one buffer and its key index.
type groups struct {
	seed   maphash.Seed
	slots  []indexSlot // a power of two of them, at most 3/4 used
	chunks [][]group
	n      int32  // groups in use
	runs   []runs // earlier runs of groups; runs[0] is unused
	keys   *strings.Builder
}

func newGroups(seed maphash.Seed) groups {
	return groups{seed: seed, slots: make([]indexSlot, minIndexSize), runs: make([]runs, 1)}
}

// get returns the group with id.
func (gs *groups) get(id int32) *group { return &gs.chunks[id/chunkSize][id%chunkSize] }

// hash returns key's hash for the index.
func (gs *groups) hash(key string) uint32 { return uint32(maphash.String(gs.seed, key)) }

// find returns the group of key, whose hash is h, or nil and the slot
// where to add it.
func (gs *groups) find(key string, h uint32) (g *group, slot int) {
	mask := len(gs.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := gs.slots[i]
		if s.id == 0 {
			return nil, i
		}
		if s.hash == h {
			if g := gs.get(int32(s.id - 1)); g.key == key {
				return g, i
			}
		}
	}
}

// add adds a group for key at slot, as find returned it, and tells how
// many bytes that took beyond the key's text: its group and any growth of
// the index. (The chunk of groups and the block of keys being filled hold
// room for more.)
func (gs *groups) add(key, value string, slot int, hash uint32) int64 {
	id := gs.n
	if int(id/chunkSize) == len(gs.chunks) {
		gs.chunks = append(gs.chunks, make([]group, chunkSize))
	}
	gs.n++
	*gs.get(id) = group{key: gs.keep(key), last: value, n: 1}
	gs.slots[slot] = indexSlot{hash, uint32(id) + 1}
	if int(gs.n) > len(gs.slots)/4*3 {
		return groupBytes + gs.grow()
	}
	return groupBytes
}

// keysChunk is the size of the blocks that hold the keys.
const keysChunk = 64 << 10

// keep returns a copy of key in the current block of keys, so that the
// keys looked up most (the first seen, mostly), and all keys when sorted
// and written, lie close together instead of all over the split. A block
// is a strings.Builder grown once and only appended to: the strings it
// returned stay valid and unchanged after it is full.
func (gs *groups) keep(key string) string {
	if len(key) > keysChunk/8 {
		return strings.Clone(key)
	}
	if gs.keys == nil || gs.keys.Cap()-gs.keys.Len() < len(key) {
		gs.keys = &strings.Builder{}
		gs.keys.Grow(keysChunk)
	}
	start := gs.keys.Len()
	gs.keys.WriteString(key)
	return gs.keys.String()[start:]
}

// grow doubles the index and tells how many bytes that added.
func (gs *groups) grow() int64 {
	old := gs.slots
	gs.slots = make([]indexSlot, 2*len(old))
	mask := len(gs.slots) - 1
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := int(s.hash) & mask
		for gs.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		gs.slots[i] = s
	}
	return int64(len(old)) * slotBytes
}

// push starts a new run of g's values with v.
func (gs *groups) push(g *group, v string) {
	if g.n > 0 {
		if g.more == 0 {
			g.more = int32(len(gs.runs))
			gs.runs = append(gs.runs, runs{})
		}
		m := &gs.runs[g.more]
		if g.n > 1 && m.reps == nil {
			m.reps = make([]uint32, len(m.vals), cap(m.vals))
			for i := range m.reps {
				m.reps[i] = 1
			}
		}
		m.vals = append(m.vals, g.last)
		if m.reps != nil {
			m.reps = append(m.reps, g.n)
		}
	}
	g.last, g.n = v, 1
}

// reset drops all of g's values, keeping the room of its earlier runs.
func (gs *groups) reset(g *group) {
	if g.more != 0 {
		m := &gs.runs[g.more]
		clear(m.vals)
		m.vals, m.reps = m.vals[:0], nil
	}
	g.last, g.n = "", 0
}

// each calls f with every run of g, in order, until f fails.
func (gs *groups) each(g *group, f func(v string, n int) error) error {
	if g.more != 0 {
		m := &gs.runs[g.more]
		for i, v := range m.vals {
			n := 1
			if m.reps != nil {
				n = int(m.reps[i])
			}
			if err := f(v, n); err != nil {
				return err
			}
		}
	}
	return f(g.last, int(g.n))
}

// runBytes estimates the memory of g's earlier runs beyond their text.
func (gs *groups) runBytes(g *group) int64 {
	if g.more == 0 {
		return 0
	}
	m := &gs.runs[g.more]
	return int64(cap(m.vals))*valueOverhead + int64(cap(m.reps))*repOverhead
}

// textBytes is the length of the values g holds, once per run.
func (gs *groups) textBytes(g *group) int64 {
	n := int64(len(g.last))
	if g.more != 0 {
		for _, v := range gs.runs[g.more].vals {
			n += int64(len(v))
		}
	}
	return n
}

// partitions deals the groups out by Partition(key, nReduce), as ids, each
// partition sorted by key.
func (gs *groups) partitions(nReduce int, s *keySorter) [][]int32 {
	part := make([]int32, gs.n)
	counts := make([]int, nReduce)
	for id := range gs.n {
		r := Partition(gs.get(id).key, nReduce)
		part[id] = int32(r)
		counts[r]++
	}
	ids := make([]int32, gs.n)
	parts := make([][]int32, nReduce)
	start := 0
	for r, n := range counts {
		parts[r] = ids[start:start:(start + n)]
		start += n
	}
	for id, r := range part {
		parts[r] = append(parts[r], int32(id))
	}
	for _, p := range parts {
		s.sort(p, gs)
	}
	return parts
}

// keySorter sorts partitions of groups by key, reusing its buffers.
type keySorter struct{ es, scratch []sortEntry }

// sortEntry is a group's id and the first 8 bytes of its key, which
// decide most comparisons without reading the key.
type sortEntry struct {
	prefix uint64 // big-endian, padded with zeros
	id     int32
}

// sort sorts ids of groups by their keys.
func (s *keySorter) sort(ids []int32, gs *groups) {
	if len(ids) < 2 {
		return
	}
	es := s.es[:0]
	for _, id := range ids {
		es = append(es, sortEntry{keyPrefix(gs.get(id).key), id})
	}
	s.scratch = slices.Grow(s.scratch[:0], len(es))[:len(es)]
	byKey := func(a, b sortEntry) int {
		if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return strings.Compare(gs.get(a.id).key, gs.get(b.id).key)
	}
	radixSort(es, s.scratch, 0, byKey)
	for i := range es {
		ids[i] = es[i].id
	}
	s.es = es
}

// keyPrefix returns the first 8 bytes of k as a big-endian number, padded
// with zeros: if keyPrefix(a) < keyPrefix(b) then a < b.
func keyPrefix(k string) uint64 {
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
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
