// Merger, the stable k-way merge of sorted runs, and GroupByKey, which
// walks a merge one key at a time.

package runfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"sync/atomic"
	"unsafe"
)

// Merger yields the records of several sorted runs in key order (bytewise,
// as bytes.Compare). Records with equal keys come in run order (run 0's
// first, then run 1's...) and, within one run, in file order: the merge is
// stable. It holds one record per run in memory, in the runs' own buffers,
// and a tree of losers over the runs: a record costs one comparison per
// level of the tree, half of what a binary heap's sift costs.
//
// The record being returned stays in its run's buffers, so that run is only
// advanced by the following call to Next. Not safe for concurrent use.
type Merger struct {
	runs []*Reader
	live []bool // run i has a current record
	// tree[1:] holds the loser of the match at each inner node, tree[0]
	// the winner: the run holding the current record. Run i is leaf
	// len(runs)+i; the parent of node t is t/2.
	tree []int
	// pre[i] is the first 8 bytes of run i's current key, big-endian,
	// padded with zeros: keys whose prefixes differ compare as their
	// prefixes do, without reading the keys. An exhausted run's is
	// the largest there is, math.MaxUint64.
	pre     []uint64
	started bool
	primed  bool // the runs hold their first records already, as live says
	err     error
}

// NewMerger returns a Merger over runs. The runs must not have been
// advanced yet; the Merger owns them from now on.
func NewMerger(runs []*Reader) *Merger {
	return &Merger{runs: runs, live: make([]bool, len(runs)), tree: make([]int, len(runs)), pre: make([]uint64, len(runs))}
}

// primedMerger returns a Merger over runs that were advanced already:
// run i holds its first record to merge if live[i], else it is exhausted.
func primedMerger(runs []*Reader, live []bool) *Merger {
	m := &Merger{runs: runs, live: live, tree: make([]int, len(runs)), pre: make([]uint64, len(runs)), primed: true}
	for i, r := range runs {
		m.pre[i] = math.MaxUint64
		if live[i] {
			m.pre[i] = keyPrefix(r.Key())
		}
	}
	return m
}

// Next advances to the next record in merge order. It returns false when
// every run is exhausted and verified, or on the first error of any run.
func (m *Merger) Next() bool {
	if m.err != nil || len(m.runs) == 0 {
		return false
	}
	if len(m.runs) == 1 {
		return m.nextOfOne()
	}
	if !m.started {
		m.started = true
		return m.init()
	}
	top := m.tree[0]
	if !m.live[top] {
		return false
	}
	m.live[top] = m.advance(top)
	if m.err != nil {
		return false
	}
	if !m.live[top] || !m.runs[top].SameKey() { // else top still holds the least (key, run)
		m.replay(top)
	}
	return m.live[m.tree[0]]
}

// nextOfOne is Next for a lone run (a reduce output taken in as text, a
// reduce task of one map): nothing to compare, so no tree and no prefix.
func (m *Merger) nextOfOne() bool {
	switch {
	case !m.started:
		m.started = true
		if m.primed {
			return m.live[0]
		}
	case !m.live[0]:
		return false
	}
	m.live[0] = m.advance(0)
	return m.live[0]
}

// init reads every run's first record and plays the tree's matches.
func (m *Merger) init() bool {
	for i := range m.runs {
		if m.primed {
			break // live says which runs hold a record
		}
		if m.live[i] = m.advance(i); m.err != nil {
			return false
		}
	}
	for t := range m.tree {
		m.tree[t] = -1 // beats every run: replaced as the runs play
	}
	for i := len(m.runs) - 1; i >= 0; i-- {
		m.play(i)
	}
	return m.live[m.tree[0]]
}

// play plays run i's first record up the tree, as the tree is being
// filled: at each node the loser stays, the winner goes on.
func (m *Merger) play(i int) {
	w := i
	for t := (i + len(m.runs)) / 2; t > 0; t /= 2 {
		if m.beats(m.tree[t], w) {
			m.tree[t], w = w, m.tree[t]
		}
	}
	m.tree[0] = w
}

// replay plays run i's new record up the full tree, as play does, the
// prefixes compared inline: an exhausted run's prefix is the largest, so
// only a tie needs the rest of beats.
func (m *Merger) replay(i int) {
	w, pw := i, m.pre[i]
	for t := (i + len(m.runs)) / 2; t > 0; t /= 2 {
		o := m.tree[t]
		if po := m.pre[o]; po < pw || po == pw && m.beats(o, w) {
			m.tree[t], w, pw = w, o, po
		}
	}
	m.tree[0] = w
}

// beats reports whether run a's record comes before run b's: -1 (a node
// not played yet) beats every run, and an exhausted run none.
func (m *Merger) beats(a, b int) bool {
	switch {
	case a < 0:
		return true
	case b < 0:
		return false
	case !m.live[a]:
		return false
	case !m.live[b]:
		return true
	}
	if m.pre[a] != m.pre[b] {
		return m.pre[a] < m.pre[b]
	}
	if c := bytes.Compare(m.runs[a].Key(), m.runs[b].Key()); c != 0 {
		return c < 0
	}
	return a < b
}

// keyPrefix is the first 8 bytes of key, big-endian, padded with zeros. Two
// keys whose prefixes differ are in the order of their prefixes: a key
// shorter than 8 bytes is padded below every byte that could extend it,
// or equal to a zero byte, where the prefixes then tie.
func keyPrefix(key []byte) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64(key)
	}
	var p uint64
	for i, c := range key {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// advance moves run i to its next record and reports whether it has one.
func (m *Merger) advance(i int) bool {
	r := m.runs[i]
	if r.Next() {
		if len(m.runs) > 1 {
			m.pre[i] = keyPrefix(r.Key())
		}
		return true
	}
	if len(m.runs) > 1 {
		m.pre[i] = math.MaxUint64 // after every live run's (replay)
	}
	if err := r.Err(); err != nil {
		m.err = fmt.Errorf("runfile: merging run %d: %w", i, err)
	}
	return false
}

// Key returns the current key, after Next returned true. It is valid until
// the next call to Next.
func (m *Merger) Key() []byte { return m.runs[m.tree[0]].Key() }

// Value returns the current value. It is valid until the next call to Next.
func (m *Merger) Value() []byte { return m.runs[m.tree[0]].Value() }

// Err returns the first error of any run, which wraps ErrCorrupt, or nil.
func (m *Merger) Err() error { return m.err }

// GroupByKey calls f once per distinct key of the merged stream, with the
// key's values in merge order, holding one key's values at a time. It
// returns the first error of the Merger or of f.
//
// The key, the value strings and the values slice passed to f are fresh
// and may be kept; the strings are carved from blocks shared by many keys
// and never written again.
func GroupByKey(m *Merger, f func(key string, values []string) error) error {
	var g keyGroup
	for ok := m.Next(); ok; {
		g.reset(m.Key())
		for ; ok && bytes.Equal(m.Key(), g.key()); ok = m.Next() {
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
// does not read are skipped. The key and the values may be kept: they are
// carved from shared blocks, never written again (carver).
func GroupByKeySeq(m *Merger, f func(key string, values iter.Seq[string]) error) error {
	var c SeqCounts
	return c.GroupByKeySeq(m, f)
}

// SeqCounts counts what GroupByKeySeq's iterators yield: the values and
// their bytes (a value's text and one more), added to Progress, if set,
// 64 KiB at a time and once GroupByKeySeq returns.
type SeqCounts struct {
	Values, Bytes int64
	Progress      *atomic.Int64
	published     int64
}

// count counts one value of n bytes.
func (c *SeqCounts) count(n int) {
	c.Values++
	if c.Bytes += int64(n) + 1; c.Progress != nil && c.Bytes-c.published >= 64<<10 {
		c.publish()
	}
}

// publish adds the bytes counted since the last time to Progress.
func (c *SeqCounts) publish() {
	if c.Progress != nil {
		c.Progress.Add(c.Bytes - c.published)
		c.published = c.Bytes
	}
}

// GroupByKeySeq is the function GroupByKeySeq, counting into c.
func (c *SeqCounts) GroupByKeySeq(m *Merger, f func(key string, values iter.Seq[string]) error) error {
	defer c.publish()
	g := seqGroup{m: m, c: c, ok: m.Next()}
	values := g.values // one iterator serves every key: none is allocated per key
	for g.ok {
		g.key, g.used = g.strs.carve(m.Key()), false
		err := f(g.key, values)
		g.used = true // ranging over it after f yields nothing
		if err != nil {
			return err
		}
		for g.ok && string(m.Key()) == g.key {
			g.ok = m.Next()
		}
	}
	return m.Err()
}

// seqGroup is GroupByKeySeq's state: the key being reduced and the
// merge's place, which the iterator reads and moves.
type seqGroup struct {
	m    *Merger
	c    *SeqCounts
	ok   bool // m is at a record
	key  string
	used bool // the iterator was ranged over for key, or f returned
	strs carver
}

// values yields the values of g.key, once.
func (g *seqGroup) values(yield func(string) bool) {
	if g.used {
		return
	}
	g.used = true
	for g.ok && string(g.m.Key()) == g.key {
		v := g.strs.carve(g.m.Value())
		g.ok = g.m.Next()
		g.c.count(len(v))
		if !yield(v) {
			return
		}
	}
}

// carver copies byte slices into strings carved from shared blocks,
// without an allocation each. A block is never written again where it
// was handed out, so the strings stay valid however long they are kept;
// a kept string pins its block, and a block no string holds is garbage,
// so the memory held stays bounded however many strings are carved.
type carver struct{ block []byte }

// carve returns b as a string.
func (a *carver) carve(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.block)-len(a.block) < len(b) {
		if len(b) > groupBlock/8 {
			return string(b)
		}
		a.block = make([]byte, 0, groupBlock)
	}
	at := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[at], len(b))
}

// keyGroup accumulates one key and its values as bytes, in blocks that
// the strings handed out are carved from: a group costs no allocation of
// its own, and its bytes are copied once, from the runs. A block's bytes
// are never written again once handed out (a string kept by Reduce pins
// its block, as a kept key of the map side's does).
type keyGroup struct {
	buf  []byte // the block being filled: buf[from:] is the group, its key and then its values back to back
	from int
	klen int
	ends []int // end offset in the group of each value
	// slab is where the values slices of groups of few values are
	// carved from, each once: a slice costs no allocation of its own.
	slab []string
}

// valuesSlab is how many strings a keyGroup's slab holds; a group of
// more than valuesSlab/16 values gets a slice of its own.
const valuesSlab = 512

// groupBlock is the size of a keyGroup's blocks; a larger group gets one
// of its own.
const groupBlock = 64 << 10

// reset starts a group for key, after the bytes handed out.
func (g *keyGroup) reset(key []byte) {
	g.from, g.klen, g.ends = len(g.buf), len(key), g.ends[:0]
	g.put(key)
}

// key is the group's key.
func (g *keyGroup) key() []byte { return g.buf[g.from : g.from+g.klen] }

// add appends one value to the group.
func (g *keyGroup) add(value []byte) {
	g.put(value)
	g.ends = append(g.ends, len(g.buf)-g.from)
}

// put appends b to the group, moving the group to a new block if it does
// not fit this one.
func (g *keyGroup) put(b []byte) {
	if cap(g.buf)-len(g.buf) < len(b) {
		n := len(g.buf) - g.from + len(b)
		block := append(make([]byte, 0, max(groupBlock, 2*n)), g.buf[g.from:]...)
		g.buf, g.from = block, 0
	}
	g.buf = append(g.buf, b...)
}

// valuesSlice returns a fresh slice of n strings: carved from the slab,
// its capacity n, so that an append to it never reaches the next one's.
func (g *keyGroup) valuesSlice(n int) []string {
	if n > valuesSlab/16 {
		return make([]string, n)
	}
	if len(g.slab) < n {
		g.slab = make([]string, valuesSlab)
	}
	v := g.slab[:n:n]
	g.slab = g.slab[n:]
	return v
}

// strings returns the group's key and values as strings that are never
// written again, in a fresh slice.
func (g *keyGroup) strings() (string, []string) {
	var s string
	if grp := g.buf[g.from:]; len(grp) > 0 {
		s = unsafe.String(&grp[0], len(grp)) // the next reset starts after it
	}
	values := g.valuesSlice(len(g.ends))
	start := g.klen
	for i, end := range g.ends {
		values[i] = s[start:end]
		start = end
	}
	return s[:g.klen], values
}
