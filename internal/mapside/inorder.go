// Buffers held in order: once a task's keys prove nearly all distinct, records are appended, not looked up.

package mapside

import "slices"

// A buffer held in order. Once a spilled buffer has shown a task's keys
// to be nearly all distinct (its records at most a tenth more than its
// keys, of at least shipSample: uniq's lines) and the spills are shipped
// as they are (spill.go), grouping the keys gains nothing, and looking a
// key up is a miss of the caches in an index of some 100,000 keys, for
// every record. The task's later buffers are then held in order of
// emission, each record in the next entry and a key emitted twice in two
// entries: their sort by key is stable (keySorter), so a key's values
// keep Map's order as they do in a group. Each spill decides the next
// buffer: one that repeats more than a tenth of its keys sends the next
// back to the index, where a repeated key takes one entry, and one of the
// index whose keys are nearly distinct has the next held in order.

// appendRecord adds one record to a buffer held in order.
func (o *Output) appendRecord(key, value string) {
	if o.gs.used == len(o.gs.entries) {
		if o.size+o.gs.growth() > o.limit && o.gs.used > 0 {
			if o.err = o.spill(); o.err != nil {
				return
			}
			if !o.gs.inOrder {
				o.group(key, value)
				return
			}
		}
		if o.gs.used == len(o.gs.entries) {
			o.size += o.gs.extend()
		}
	}
	var h uint64 // no index: the key is hashed only for its partition
	if o.part == nil {
		h = hashKey(&o.seed, key)
	}
	part, err := o.partition(key, h)
	if err != nil {
		o.err = err
		return
	}
	slot := o.gs.used
	o.gs.used++
	e := &o.gs.entries[slot]
	*e = entry{klen: uint32(len(key)) + 1}
	o.size += o.gs.place(slot, key, part) + o.gs.firstValue(e, value)
	if o.size > o.limit {
		o.err = o.spill()
	}
}

// extend makes a full index held in order half as long again, its
// entries where they are, and tells how many bytes that added. The new
// entries and partitions are written as records take them.
func (x *index) extend() int64 {
	more := len(x.entries) / 2
	x.entries = slices.Grow(x.entries, more)[:len(x.entries)+more]
	x.parts = slices.Grow(x.parts, more)[:len(x.parts)+more]
	return int64(more) * slotBytes
}

// partitionsInOrder is partitions for a buffer held in order: the entries
// stay where they are, and each partition's ids come in order of
// emission, then sorted stably by key.
func (gs *groups) partitionsInOrder(nReduce int, s *keySorter) [][]int32 {
	parts := gs.parts[:gs.used]
	counts := make([]int, nReduce)
	for _, p := range parts {
		counts[p]++
	}
	next := make([]int, nReduce)
	for r := 1; r < nReduce; r++ {
		next[r] = next[r-1] + counts[r-1]
	}
	ids := make([]int32, len(parts))
	for i, p := range parts {
		ids[next[p]] = int32(i)
		next[p]++
	}
	return sortParts(ids, counts, s, gs)
}

// heldDistinct tells whether the buffer held nearly distinct keys.
func (o *Output) heldDistinct() bool {
	if o.gs.inOrder {
		return nearlyDistinct(int64(o.gs.used), int64(o.gs.used)-o.repeats)
	}
	return nearlyDistinct(o.emitted-o.bufferFrom, int64(o.gs.used))
}

// nearlyDistinct tells whether a buffer of records records of keys
// distinct keys holds at most a tenth more records than keys, of at least
// shipSample.
func nearlyDistinct(records, keys int64) bool {
	return keys >= shipSample && records*10 <= keys*11
}
