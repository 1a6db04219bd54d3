// The map output's groups: the values of each distinct key, held in its
// entry of the key index while they are all the buffer's common value,
// else in a group of its own, allocated chunkSize at a time.

package mapside

import "unsafe"

// group is the values of one key in emission order, as runs of equal
// values: the earlier runs in groups.runs, the current one in last and n.
type group struct {
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

const chunkSize = 1024 // groups allocated at once: 24 KiB

// groups is the set of keys of one buffer and their values.
type groups struct {
	index
	// common is the buffer's first value. A key whose values are all
	// common (a word count's "1"s) holds only their number, in its entry;
	// it gets a group when it gets another value.
	common    string
	hasCommon bool
	chunks    [][]group
	ngroups   int32  // groups in use
	runs      []runs // earlier runs of groups; runs[0] is unused
	keyBuf    []byte // keyText's, kept from one buffer to the next
}

func newGroups(seed *hashSeed) groups {
	return groups{index: newIndex(seed), runs: make([]runs, 1)}
}

// isCommon reports whether v is the common value, comparing a first byte
// before calling memequal: a word count's "1" takes no call.
func (gs *groups) isCommon(v string) bool {
	c := gs.common
	return len(v) == len(c) && (len(v) == 0 || v[0] == c[0] && (len(v) == 1 || v == c))
}

// get returns the group with id.
func (gs *groups) get(id int32) *group { return &gs.chunks[id/chunkSize][id%chunkSize] }

// add adds key, of partition part, with its first value at e, the empty
// entry find returned, and tells how many bytes that took beyond the
// entry itself.
func (gs *groups) add(e *entry, key, value string, tag, part uint32) int64 {
	e, size := gs.insert(e, key, tag, part)
	return size + gs.firstValue(e, value)
}

// firstValue gives the new entry e its first value, and tells how many
// bytes that took beyond the entry itself.
func (gs *groups) firstValue(e *entry, value string) int64 {
	var size int64
	if !gs.hasCommon {
		gs.common, gs.hasCommon = value, true
		size += int64(len(value))
	}
	if gs.isCommon(value) {
		e.n = 1
		return size
	}
	return size + gs.newGroup(e, value, 1)
}

// newGroup gives e a group holding a run of n values v, and tells how
// many bytes that took.
func (gs *groups) newGroup(e *entry, v string, n uint32) int64 {
	id := gs.ngroups
	if int(id/chunkSize) == len(gs.chunks) {
		gs.chunks = append(gs.chunks, make([]group, chunkSize))
	}
	gs.ngroups++
	*gs.get(id) = group{last: v, n: n}
	e.id = uint32(id) + 1
	return groupBytes + int64(len(v))
}

// group returns the group of e, giving it one that holds its common
// values if it has none, and tells how many bytes that took.
func (gs *groups) group(e *entry) (*group, int64) {
	var size int64
	if e.id == 0 {
		size = gs.newGroup(e, gs.common, e.n)
		e.n = 0
	}
	return gs.get(int32(e.id - 1)), size
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

// detach copies every value the groups hold into one block of their own,
// so that none points into the memory it was emitted from (a split).
func (gs *groups) detach() {
	size := len(gs.common)
	gs.eachValue(func(v *string) { size += len(*v) })
	if size == 0 {
		return
	}
	block := make([]byte, 0, size)
	own := func(v *string) {
		if len(*v) > 0 {
			at := len(block)
			block = append(block, *v...)
			*v = unsafe.String(&block[at], len(*v)) // block never grows past its capacity: never moved
		}
	}
	own(&gs.common)
	gs.eachValue(own)
}

// eachValue calls f with a pointer to every value the groups hold.
func (gs *groups) eachValue(f func(v *string)) {
	for id := range gs.ngroups {
		f(&gs.get(id).last)
	}
	for i := range gs.runs {
		for j := range gs.runs[i].vals {
			f(&gs.runs[i].vals[j])
		}
	}
}
