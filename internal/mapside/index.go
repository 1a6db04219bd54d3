// The key index: an open-addressing table from each distinct key to its values in the buffer.

package mapside

import (
	"encoding/binary"
	"unsafe"

	"mapreduce/internal/prefault"
)

// The key index: an open-addressing table with linear probing whose
// entries hold the keys themselves, when short, and a key's values when
// they are all the buffer's common value (a word count's "1"). Finding a
// short key and counting one more of its common value then touches one
// entry, 32 bytes, and nothing else: in a large index most lookups miss
// the caches, and each further read that depends on the entry (a group,
// a key's bytes elsewhere) would be one more miss.

// entry is a slot of the key index.
type entry struct {
	tag  uint32 // the key's hash, top half: places the entry
	klen uint32 // len(key)+1; 0 for an empty slot
	n    uint32 // how many common values the key has, while it has no group
	id   uint32 // the key's group id + 1, or 0 while it has none
	// key is the key, padded with zeros, if it is at most inlineKey
	// bytes; else its first 8 bytes, then the block and offset of its
	// copy in the long keys (uint32 each, little-endian).
	key [inlineKey]byte
}

const (
	inlineKey = 16 // the longest key an entry holds itself
	minIndex  = 16 // entries of an empty index: 512 bytes
	keysChunk = 64 << 10
)

// index is the key index and the copies of the keys it does not hold
// itself.
type index struct {
	seed    *hashSeed
	entries []entry // at most 3/4 full
	// parts are the partitions of the keys of entries, slot for slot,
	// found as each key was added, while its bytes were in the caches
	// (sort.go).
	parts   []uint32
	used    int
	long    [][]byte // keys longer than inlineKey, in blocks of keysChunk or alone
	filling int      // 1 + the index in long of the block being filled, or 0
	// inOrder: the entries are in order of emission, not placed by
	// their tags, and never looked up (inorder.go).
	inOrder bool
}

// newIndex returns an empty index whose hash has seed.
func newIndex(seed *hashSeed) index {
	return index{seed: seed, entries: make([]entry, minIndex), parts: make([]uint32, minIndex)}
}

// lookup returns the entry of key and true, or the empty entry where it
// goes and false; and key's hash, whose high half is its tag. A key of at
// most inlineKey bytes is read once, into the two words an entry holds:
// they serve for its hash and for comparing it with entries, two word
// compares.
func (x *index) lookup(key string) (*entry, bool, uint64) {
	if len(key) > inlineKey {
		h := hashKey(x.seed, key)
		e, found := x.findLong(key, uint32(h>>32))
		return e, found, h
	}
	w0, w1 := shortKey(key)
	h := hashShort(x.seed, w0, w1, len(key))
	tag, klen := uint32(h>>32), uint32(len(key))+1
	for i := x.home(tag); ; i = x.next(i) {
		e := &x.entries[i]
		if e.klen == 0 {
			return e, false, h
		}
		if e.tag == tag && e.klen == klen &&
			binary.LittleEndian.Uint64(e.key[:8]) == w0 && binary.LittleEndian.Uint64(e.key[8:]) == w1 {
			return e, true, h
		}
	}
}

// findLong is lookup for a key longer than inlineKey whose tag is known.
func (x *index) findLong(key string, tag uint32) (*entry, bool) {
	klen := uint32(len(key)) + 1
	for i := x.home(tag); ; i = x.next(i) {
		e := &x.entries[i]
		if e.klen == 0 {
			return e, false
		}
		if e.tag == tag && e.klen == klen && string(e.key[:8]) == key[:8] && string(x.longKey(e)) == key {
			return e, true
		}
	}
}

// insert fills the empty entry e, as lookup returned it, with key, of
// partition part, and tells how many bytes that took: the key's copy if
// it is long and any growth of the index. e is invalid after the index
// grows: insert returns the key's entry.
func (x *index) insert(e *entry, key string, tag, part uint32) (*entry, int64) {
	*e = entry{tag: tag, klen: uint32(len(key)) + 1}
	size := x.place(x.slot(e), key, part)
	if x.used++; x.used > len(x.entries)/4*3 {
		size += x.grow()
		e, _, _ = x.lookup(key)
	}
	return e, size
}

// place fills in the key, of partition part, of the entry at slot, whose
// tag and klen are set, and tells how many bytes its copy took.
func (x *index) place(slot int, key string, part uint32) int64 {
	x.parts[slot] = part
	e := &x.entries[slot]
	if len(key) <= inlineKey {
		copy(e.key[:], key)
		return 0
	}
	block, off := x.keep(key)
	copy(e.key[:8], key)
	binary.LittleEndian.PutUint32(e.key[8:], block)
	binary.LittleEndian.PutUint32(e.key[12:], off)
	return int64(len(key))
}

// slot is the place of e in the index.
func (x *index) slot(e *entry) int {
	return int((uintptr(unsafe.Pointer(e)) - uintptr(unsafe.Pointer(&x.entries[0]))) / unsafe.Sizeof(entry{}))
}

// keep copies a long key into the current block, so that a block holds
// many, and returns where it lies.
func (x *index) keep(key string) (block, off uint32) {
	if len(key) > keysChunk/8 {
		x.long = append(x.long, []byte(key))
		return uint32(len(x.long) - 1), 0
	}
	if x.filling == 0 || cap(x.long[x.filling-1])-len(x.long[x.filling-1]) < len(key) {
		x.long = append(x.long, make([]byte, 0, keysChunk))
		x.filling = len(x.long)
	}
	b := &x.long[x.filling-1]
	off = uint32(len(*b))
	*b = append(*b, key...)
	return uint32(x.filling - 1), off
}

// longKey returns the copy of the long key of e.
func (x *index) longKey(e *entry) []byte {
	block := binary.LittleEndian.Uint32(e.key[8:])
	off := binary.LittleEndian.Uint32(e.key[12:])
	return x.long[block][off : off+e.klen-1]
}

// keyBytes returns the key of the full entry e, which is valid until the
// index grows.
func (x *index) keyBytes(e *entry) []byte {
	if e.klen-1 <= inlineKey {
		return e.key[:e.klen-1]
	}
	return x.longKey(e)
}

// full reports whether the next key inserted makes the index grow.
func (x *index) full() bool { return x.used+1 > len(x.entries)/4*3 }

// growth is how many bytes the index's next growth adds.
func (x *index) growth() int64 { return int64(len(x.entries)/2) * slotBytes }

// home is where the probe for tag starts: tag scaled to the index's
// size, so that entries keep their order of tags whatever the size.
func (x *index) home(tag uint32) int { return int(uint64(tag) * uint64(len(x.entries)) >> 32) }

// next is the entry probed after entry i.
func (x *index) next(i int) int {
	if i++; i == len(x.entries) {
		return 0
	}
	return i
}

// grow makes the index half as large again, placing every entry by its
// tag (the keys are not read again), and tells how many bytes that added.
// Growing by half, not double, wastes less room: at a buffer's limit it is
// the difference between a spill and none.
func (x *index) grow() int64 {
	old, oldParts := x.entries, x.parts
	x.entries = make([]entry, len(old)+len(old)/2) // growth() bytes more
	x.parts = make([]uint32, len(x.entries))
	prefault.Slice(x.entries)
	for i := range old {
		if old[i].klen == 0 {
			continue
		}
		j := x.home(old[i].tag)
		for x.entries[j].klen != 0 {
			j = x.next(j)
		}
		x.entries[j], x.parts[j] = old[i], oldParts[i]
	}
	return int64(len(x.entries)-len(old)) * slotBytes
}
