// Spills: a full buffer written as sorted runs, and the runs merged into the task's output.

package mapside

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"mapreduce/internal/runfile"
)

// Spills. A map output that outgrows its buffer writes it as one sorted
// run per partition, a group of a grouped sections file (runfile's
// Groups: one file for all the spills, as creating a file costs on some
// file systems more than a small run's records).
//
// Without a combiner, or when Combine found almost nothing to combine in
// the first buffer (its records at most a tenth more than its keys, of
// at least shipSample: a line count's lines), the spills are final runs,
// and at the end the last buffer joins them as one more group: the file
// becomes the output as it is, each partition several runs that the
// reducer merges with the other maps' (merging them here cost a quarter
// of a map task of every line a key, to combine nothing). Otherwise, the spills and the last buffer, straight from
// memory, are merged into the final runs, combining each key's values
// once more; such a spill's records hold runs of n equal values of a key,
// as the value uvarint(n) followed by the value, so that a word count
// spills one record per key instead of one per occurrence.

// errBadSpill is a spill record whose count does not decode.
var errBadSpill = errors.New("mapside: spill record without a valid count")

// spill writes the buffer as one sorted run per partition and empties it.
func (o *Output) spill() error {
	if o.groups == nil {
		g, err := runfile.CreateGroups(o.spillTo(0), o.nReduce)
		if err != nil {
			return err
		}
		o.groups = g
		o.ship = o.combine == nil || o.heldDistinct()
	}
	parts := o.gs.partitions(o.nReduce, &o.sorter)
	infos, err := o.groups.Add(func(r int, w *runfile.Writer) error {
		return o.writeGroups(parts[r], !o.ship)(w)
	})
	if err != nil {
		return fmt.Errorf("mapside: spill %d: %w", o.spills, err)
	}
	for _, in := range infos {
		o.spilled += in.Records
	}
	o.runs = append(o.runs, infos...)
	o.spills++
	o.keys = o.mostKeys()
	o.distinct = o.ship && o.heldDistinct()
	o.empty()
	if o.groups.Len() >= maxGroups {
		return o.compact()
	}
	return nil
}

// mostKeys is the most distinct keys a buffer of the output's grouped by
// key has held, so far.
func (o *Output) mostKeys() int64 {
	if o.gs.inOrder {
		return o.keys
	}
	return max(o.keys, int64(o.gs.used))
}

// shipSample is the fewest keys a first buffer must hold for their being
// nearly all distinct to say that Combine has nothing to do.
const shipSample = 1024

// maxGroups is the most spills an output keeps apart: past it they are
// merged into one, so that a reducer merges at most this many runs and
// one more (the last buffer's) of each map task, and a merge at the end
// reads as many at once.
const maxGroups = 16

// compact merges the spills into one group of a new file, each partition
// one run, its records as they were (a combiner's spill records stay
// such), equal keys in the order they were spilled.
func (o *Output) compact() error {
	o.compactions++
	g, err := runfile.CreateGroups(o.spillTo(o.compactions), o.nReduce)
	if err != nil {
		return err
	}
	old := o.groups
	defer old.Abort()
	o.groups = g
	o.runs, err = g.Add(func(r int, w *runfile.Writer) error { return runfile.WriteMerged(w, old.Readers(r)) })
	if err != nil {
		return fmt.Errorf("mapside: merging %d spills: %w", old.Len(), err)
	}
	return nil
}

// putSpill writes a run of n values v of key to a spill as one record.
func (o *Output) putSpill(w *runfile.Writer, key, v string, n int) error {
	if n <= 0 {
		return nil
	}
	o.spillKey = append(o.spillKey[:0], key...)
	o.spillValue = binary.AppendUvarint(o.spillValue[:0], uint64(n))
	o.spillValue = append(o.spillValue, v...)
	return w.WriteBytes(o.spillKey, o.spillValue)
}

// spillRun decodes the value of a spill record: a run of n values v.
func spillRun[S string | []byte](value S) (n int, v S, err error) {
	var x uint64
	for i := 0; i < len(value) && i < binary.MaxVarintLen32; i++ {
		x |= uint64(value[i]&0x7f) << (7 * i)
		if value[i] < 0x80 {
			if x > math.MaxUint32 {
				break
			}
			return int(x), value[i+1:], nil
		}
	}
	return 0, value, errBadSpill
}

// mergeSpills merges partition r's spills and its keys still in memory,
// mem (sorted entries, as partitions gives them), into w, combining each
// key's values from all of them once more. A key's values in memory come
// after those in the spills, which come in the order they were spilled:
// the merge is stable. The last buffer is not spilled for this: it is one
// more sorted source of the merge.
func (o *Output) mergeSpills(r int, w *runfile.Writer, mem []int32) error {
	m := runfile.NewMerger(o.groups.Readers(r))
	b := memKeys{ids: mem, keys: o.gs.keyText(mem), gs: &o.gs}
	s := sink{w: w}
	for ok := m.Next(); ok; {
		for ; b.more() && b.key() < string(m.Key()); b.next() { // keys in memory only
			if err := o.writeKey(s, b.key(), b.entry()); err != nil {
				return err
			}
		}
		var err error
		if ok, err = o.combineKey(m, s, &b); err != nil {
			return err
		}
	}
	if err := m.Err(); err != nil {
		return err
	}
	for ; b.more(); b.next() {
		if err := o.writeKey(s, b.key(), b.entry()); err != nil {
			return err
		}
	}
	return nil
}

// memKeys walks the sorted keys of a partition still in memory.
type memKeys struct {
	ids  []int32
	keys string // the keys of ids, back to back
	gs   *groups
}

func (b *memKeys) more() bool          { return len(b.ids) > 0 }
func (b *memKeys) entry() *entry       { return &b.gs.entries[b.ids[0]] }
func (b *memKeys) key() string         { return b.keys[:b.entry().klen-1] }
func (b *memKeys) next()               { b.keys, b.ids = b.keys[b.entry().klen-1:], b.ids[1:] }
func (b *memKeys) has(key []byte) bool { return b.more() && b.key() == string(key) }

// combineKey passes the values of the merge's current key, then the key's
// values in memory (b's first key, if it is the same), through Combine to
// s; it reports whether the merge has a record left.
func (o *Output) combineKey(m *runfile.Merger, s sink, b *memKeys) (bool, error) {
	g := &o.spillGroup
	g.buf, g.ends = append(g.buf[:0], m.Key()...), g.ends[:0]
	klen := len(g.buf)
	ok := true
	for ; ok && bytes.Equal(m.Key(), g.buf[:klen]); ok = m.Next() {
		g.buf = append(g.buf, m.Value()...)
		g.ends = append(g.ends, len(g.buf))
	}
	if len(g.ends) == 1 && !b.has(g.buf[:klen]) {
		if n, v, err := spillRun(g.buf[klen:]); err == nil && n == 1 {
			// A lone value goes as it is (combineEnd): no copy of it, nor
			// of its key, as a line of uniq's, whose keys all are.
			return ok, s.w.WriteBytes(g.buf[:klen], v)
		}
	}
	text := string(g.buf) // the key and its spilled values: one allocation
	key := text[:klen]
	var err error
	for i, start := 0, klen; err == nil && i < len(g.ends); i++ {
		var n int
		var v string
		if n, v, err = spillRun(text[start:g.ends[i]]); err == nil {
			err = o.combineAdd(s, key, v, n)
		}
		start = g.ends[i]
	}
	if err == nil && b.has(g.buf[:klen]) {
		err = o.eachRun(b.entry(), func(v string, n int) error { return o.combineAdd(s, key, v, n) })
		b.next()
	}
	return ok, o.combineEnd(s, key, err)
}

// spillGroup is one key of the merged spills and its values, as bytes:
// the key, then the values back to back, each ending at ends[i].
type spillGroup struct {
	buf  []byte
	ends []int
}

// RemoveSpills removes the spills, after a failure; Finish removes
// them itself.
func (o *Output) RemoveSpills() {
	if o.groups != nil {
		o.groups.Abort()
	}
}
