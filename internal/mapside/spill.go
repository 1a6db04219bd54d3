// Spills: a full buffer written as sorted runs, and the runs merged into the task's output.

package mapside

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"mapreduce/internal/runfile"
)

// Spills. A map output that outgrows its buffer writes it as one sorted
// run per partition, all in one sections file (a file per partition
// would cost a file's creation each, which on some file systems costs
// more than its records), and at the end merges the spills, and the last
// buffer straight from memory, into the final runs. A spill is a run file
// of its own kind: each record holds a run of n equal values of its key,
// as the value uvarint(n) followed by the value, so that a word count
// without a combiner spills one record per key instead of one per
// occurrence.

// errBadSpill is a spill record whose count does not decode.
var errBadSpill = errors.New("mapside: spill record without a valid count")

// spill writes the buffer as one sorted run per partition and empties it.
func (o *Output) spill() error {
	parts := o.gs.partitions(o.nReduce, &o.sorter)
	infos, err := runfile.WriteSections(o.spillTo(o.spills), o.nReduce, func(r int, w *runfile.Writer) error {
		return o.writeGroups(parts[r], true)(w)
	})
	if err != nil {
		os.Remove(o.spillTo(o.spills)) // not counted yet
		return err
	}
	for _, in := range infos {
		o.spilled += in.Records
	}
	o.spills++
	o.keys = max(o.keys, int64(o.gs.used))
	o.empty()
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
func (o *Output) mergeSpills(spills []spillFile, r int, w *runfile.Writer, mem []int32) error {
	readers := make([]*runfile.Reader, len(spills))
	for k, sp := range spills {
		off, size, err := runfile.Section(sp.f, sp.size, r)
		if err != nil {
			return fmt.Errorf("mapside: spill %d: %w", k, err)
		}
		readers[k] = runfile.NewReader(io.NewSectionReader(sp.f, off, size), size)
	}
	m := runfile.NewMerger(readers)
	b := memKeys{ids: mem, keys: o.gs.keyText(mem), gs: &o.gs}
	s := sink{w: w}
	for ok := m.Next(); ok; {
		for ; b.more() && b.key() < string(m.Key()); b.next() { // keys in memory only
			if err := o.writeKey(s, b.key(), b.entry()); err != nil {
				return err
			}
		}
		var err error
		if o.combine == nil {
			ok, err = o.expandKey(m, w, &b)
		} else {
			ok, err = o.combineKey(m, s, &b)
		}
		if err != nil {
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

// spillFile is an open spill: a sections file of size bytes.
type spillFile struct {
	f    *os.File
	size int64
}

// openSpills opens the spills; closeAll closes them. On error nothing is
// left open.
func (o *Output) openSpills() (spills []spillFile, closeAll func(), err error) {
	closeAll = func() {
		for _, sp := range spills {
			sp.f.Close()
		}
	}
	for k := range o.spills {
		f, err := os.Open(o.spillTo(k))
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			closeAll()
			return nil, nil, err
		}
		spills = append(spills, spillFile{f, st.Size()})
	}
	return spills, closeAll, nil
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

// expandKey writes the records of the merge's current key, then the
// key's values in memory (b's first key, if it is the same), as records;
// it reports whether the merge has a record left.
func (o *Output) expandKey(m *runfile.Merger, w *runfile.Writer, b *memKeys) (bool, error) {
	o.spillKey = append(o.spillKey[:0], m.Key()...)
	ok := true
	for ; ok && bytes.Equal(m.Key(), o.spillKey); ok = m.Next() {
		n, v, err := spillRun(m.Value())
		if err != nil {
			return false, err
		}
		if err := w.WriteRepeatBytes(o.spillKey, v, n); err != nil {
			return false, err
		}
	}
	if !b.has(o.spillKey) {
		return ok, nil
	}
	defer b.next()
	return ok, o.writeKey(sink{w: w}, b.key(), b.entry())
}

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

// RemoveSpills removes the spill files, after a failure; Finish removes
// them itself.
func (o *Output) RemoveSpills() {
	for k := 0; k < o.spills; k++ {
		os.Remove(o.spillTo(k))
	}
}
