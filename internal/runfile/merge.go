// Merger, the stable k-way merge of sorted runs, and GroupByKey, which
// walks a merge one key at a time.

package runfile

import (
	"bytes"
	"fmt"
	"iter"
)

// Merger yields the records of several sorted runs in key order (bytewise,
// as bytes.Compare). Records with equal keys come in run order (run 0's
// first, then run 1's...) and, within one run, in file order: the merge is
// stable. It holds one record per run in memory, in the runs' own buffers,
// and a min-heap of the indexes of runs that have a current record.
//
// The record being returned stays in its run's buffers, so that run is only
// advanced by the following call to Next. Not safe for concurrent use.
type Merger struct {
	runs    []*Reader
	heap    []int // run indexes; heap[0] is the run holding the current record
	started bool
	err     error
}

// NewMerger returns a Merger over runs. The runs must not have been
// advanced yet; the Merger owns them from now on.
func NewMerger(runs []*Reader) *Merger {
	return &Merger{runs: runs, heap: make([]int, 0, len(runs))}
}

// Next advances to the next record in merge order. It returns false when
// every run is exhausted and verified, or on the first error of any run.
func (m *Merger) Next() bool {
	if m.err != nil {
		return false
	}
	if !m.started {
		m.started = true
		return m.init()
	}
	if len(m.heap) == 0 {
		return false
	}
	switch top := m.heap[0]; {
	case m.advance(top):
		if !m.runs[top].SameKey() { // else top still holds the least (key, run)
			m.down(0)
		}
	case m.err != nil:
		return false
	default:
		m.pop()
	}
	return len(m.heap) > 0
}

// init reads the first record of every run and builds the heap.
func (m *Merger) init() bool {
	for i := range m.runs {
		if m.advance(i) {
			m.heap = append(m.heap, i)
		} else if m.err != nil {
			return false
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return len(m.heap) > 0
}

// advance moves run i to its next record, recording its error if it fails.
func (m *Merger) advance(i int) bool {
	r := m.runs[i]
	if r.Next() {
		return true
	}
	if err := r.Err(); err != nil {
		m.err = fmt.Errorf("runfile: merging run %d: %w", i, err)
	}
	return false
}

// Key returns the current key, after Next returned true. It is valid until
// the next call to Next.
func (m *Merger) Key() []byte { return m.runs[m.heap[0]].Key() }

// Value returns the current value. It is valid until the next call to Next.
func (m *Merger) Value() []byte { return m.runs[m.heap[0]].Value() }

// Err returns the first error of any run, which wraps ErrCorrupt, or nil.
func (m *Merger) Err() error { return m.err }

// less orders heap slots by their runs' current keys, then by run index,
// which makes the merge stable.
func (m *Merger) less(a, b int) bool {
	i, j := m.heap[a], m.heap[b]
	if c := bytes.Compare(m.runs[i].Key(), m.runs[j].Key()); c != 0 {
		return c < 0
	}
	return i < j
}

// down restores the heap property below slot i.
func (m *Merger) down(i int) {
	n := len(m.heap)
	for {
		least, l := i, 2*i+1
		if l < n && m.less(l, least) {
			least = l
		}
		if r := l + 1; r < n && m.less(r, least) {
			least = r
		}
		if least == i {
			return
		}
		m.heap[i], m.heap[least] = m.heap[least], m.heap[i]
		i = least
	}
}

// pop removes the top of the heap.
func (m *Merger) pop() {
	last := len(m.heap) - 1
	m.heap[0] = m.heap[last]
	m.heap = m.heap[:last]
	m.down(0)
}

// GroupByKey calls f once per distinct key of the merged stream, with the
// key's values in merge order, holding one key's values at a time. It
// returns the first error of the Merger or of f.
//
// The key, the value strings and the values slice passed to f are fresh
// and may be kept; the strings of one key share a single allocation.
func GroupByKey(m *Merger, f func(key string, values []string) error) error {
	var g keyGroup
	for ok := m.Next(); ok; {
		g.reset(m.Key())
		for ; ok && bytes.Equal(m.Key(), g.buf[:g.klen]); ok = m.Next() {
			g.add(m.Value())
		}
		if err := f(g.strings()); err != nil {
			return err
		}
	}
	return m.Err()
}

// GroupByKeySeq calls f once per distinct key of the merged stream, with
// an iterator over the key's values in merge order that reads them from
// the runs as it goes: only one value is held at a time, however many the
// key has. The iterator may be ranged over once, only during f; values f
// does not read are skipped.
func GroupByKeySeq(m *Merger, f func(key string, values iter.Seq[string]) error) error {
	ok := m.Next()
	for ok {
		key := string(m.Key())
		used := false
		values := func(yield func(string) bool) {
			if used {
				return
			}
			used = true
			for ok && string(m.Key()) == key {
				v := string(m.Value())
				ok = m.Next()
				if !yield(v) {
					return
				}
			}
		}
		if err := f(key, values); err != nil {
			return err
		}
		for ok && string(m.Key()) == key {
			ok = m.Next()
		}
	}
	return m.Err()
}

// keyGroup accumulates one key and its values as bytes, so that turning them
// into strings costs a single allocation.
type keyGroup struct {
	buf  []byte // key, then the values back to back
	klen int
	ends []int // end offset in buf of each value
}

// reset starts a group for key.
func (g *keyGroup) reset(key []byte) {
	g.buf = append(g.buf[:0], key...)
	g.klen = len(key)
	g.ends = g.ends[:0]
}

// add appends one value to the group.
func (g *keyGroup) add(value []byte) {
	g.buf = append(g.buf, value...)
	g.ends = append(g.ends, len(g.buf))
}

// strings returns the group's key and values as fresh strings in a fresh
// slice.
func (g *keyGroup) strings() (string, []string) {
	s := string(g.buf)
	values := make([]string, len(g.ends))
	start := g.klen
	for i, end := range g.ends {
		values[i] = s[start:end]
		start = end
	}
	return s[:g.klen], values
}
