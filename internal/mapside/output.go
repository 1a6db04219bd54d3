// Package mapside is the map side of a map attempt: it takes the records
// Map emits, groups them by key as they come, combines them with the app's
// Combine when it has one, spills past a memory limit, and writes one
// sorted run per reduce task, all in one sections file (see runfile).
//
// Records are grouped by key as they are emitted, with one hash lookup
// each: most keys repeat, so grouping costs n lookups plus a sort of the
// distinct keys where sorting the records would cost n log n string
// comparisons. A key's values keep Map's order, so the result equals a
// stable sort by key; they are held as runs of equal values, so a value
// repeated (a word count's "1") costs a counter, not a slot. With a
// Combine, a key's values are combined when it holds combineRuns runs and
// as it is written, combineBatch values at a time, so a buffer holds
// little more than the distinct keys. When the buffer outgrows its limit
// it is spilled as one sorted run per partition, and the spills are merged
// into the final runs at the end (spill.go).
//
// It imports nothing of the engine and knows nothing of apps: the caller
// hands it a Combiner that turns an app's panic into an error.
package mapside

import (
	"hash/maphash"
	"math"

	"mapreduce/internal/runfile"
)

// Combiner combines some of one key's values into fewer; an error stops
// the output (Finish returns it).
type Combiner func(key string, values []string) ([]string, error)

// Partition is the reduce task of a key among n: the 32-bit FNV-1a hash of
// the key (hash/fnv's New32a) with its top bit cleared, modulo n. It is
// written out so that it allocates nothing; it must never change, or map
// outputs of two builds would disagree.
func Partition(key string, n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h&0x7fffffff) % n
}

const (
	// combineRuns is how many runs of values one key holds before they
	// are combined.
	combineRuns = 64
	// combineBatch is how many values one call of Combine gets at most.
	combineBatch = 1024
)

// Bytes held beyond the text of keys and values: per group, per slot of
// the key index, per earlier runs of a group, and per value slot and
// repeat count of those.
const (
	groupBytes    = 40 // unsafe.Sizeof(group{}), checked by a test
	slotBytes     = 8  // unsafe.Sizeof(indexSlot{})
	runsBytes     = 48 // unsafe.Sizeof(runs{})
	valueOverhead = 16
	repOverhead   = 4
)

// Output collects one map attempt's records for nReduce partitions.
type Output struct {
	nReduce int
	limit   int64 // spill when the estimated size exceeds this
	combine Combiner
	spillTo func(spill, r int) string // path of spill file for partition r

	seed   maphash.Seed
	gs     groups
	size   int64 // estimated bytes held by gs
	spills int
	err    error // first spill or Combine error; later emits are dropped

	batch      []string // values on their way to Combine
	fresh      int      // values in batch not yet combined
	combined   []string // what combineGroup gets back
	sorter     keySorter
	spillKey   []byte // the record putSpill writes
	spillValue []byte

	emitted, spilled, written int64 // records: given to emit, written to spills, written to the final runs
}

// New makes an empty output for nReduce partitions that spills past about
// limit bytes held, to the files spillTo names (spill k, partition r).
// combine may be nil.
func New(nReduce int, limit int64, combine Combiner, spillTo func(k, r int) string) *Output {
	o := &Output{nReduce: nReduce, limit: limit, combine: combine, spillTo: spillTo, seed: maphash.MakeSeed()}
	o.empty()
	return o
}

// empty starts an empty buffer.
func (o *Output) empty() {
	o.gs = newGroups(o.seed)
	o.size = int64(len(o.gs.slots)) * slotBytes
}

// Emit adds one record. After an error (a spill's, or Combine's) records
// are dropped: Finish returns the error.
func (o *Output) Emit(key, value string) {
	o.emitted++
	if o.err == nil {
		o.add(key, value, o.gs.hash(key))
	}
}

// add adds one record, whose key has hash h.
func (o *Output) add(key, value string, h uint32) {
	g, slot := o.gs.find(key, h)
	switch {
	case g == nil:
		o.size += o.gs.add(key, value, slot, h) + int64(len(key)+len(value))
	case value == g.last && g.n < math.MaxUint32:
		g.n++
		return
	default:
		o.addRun(g, value)
	}
	if o.size > o.limit && o.err == nil {
		o.err = o.spill()
	}
}

// addRun starts a new run of g's values with value, and combines g's
// runs once they are combineRuns.
func (o *Output) addRun(g *group, value string) {
	before := o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes
	o.gs.push(g, value)
	o.size += o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes - before + int64(len(value))
	if o.combine != nil && g.more != 0 && len(o.gs.runs[g.more].vals)+1 >= combineRuns {
		o.combineGroup(g)
	}
}

// combineGroup replaces g's values by what Combine makes of them.
func (o *Output) combineGroup(g *group) {
	if err := o.combineGroupTo(sink{}, g); err != nil {
		o.err = err
		return
	}
	before := o.gs.runBytes(g) + o.gs.textBytes(g)
	o.gs.reset(g)
	for _, v := range o.combined {
		o.gs.push(g, v)
	}
	clear(o.combined)
	o.combined = o.combined[:0]
	o.size += o.gs.runBytes(g) + o.gs.textBytes(g) - before
}

// sink is where a key's values go as they are written: a final run
// file, a spill, or with no writer o.combined.
type sink struct {
	w     *runfile.Writer
	spill bool
}

// put writes a run of n values v of key to s.
func (o *Output) put(s sink, key, v string, n int) error {
	switch {
	case s.w == nil:
		for ; n > 0; n-- {
			o.combined = append(o.combined, v)
		}
		return nil
	case s.spill:
		return o.putSpill(s.w, key, v, n)
	}
	return s.w.WriteRepeat(key, v, n)
}

// combineGroupTo passes g's values through Combine to s.
func (o *Output) combineGroupTo(s sink, g *group) error {
	err := o.gs.each(g, func(v string, n int) error { return o.combineAdd(s, g.key, v, n) })
	return o.combineEnd(s, g.key, err)
}

// combineAdd adds n values v of key to the batch for Combine, which is
// combined once it holds combineBatch values, and the results kept in it
// for the next values.
func (o *Output) combineAdd(s sink, key, v string, n int) error {
	for ; n > 0; n-- {
		o.batch = append(o.batch, v)
		if o.fresh++; len(o.batch) == combineBatch {
			if err := o.combineBatch(s, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// combineEnd combines the rest of key's values, unless err, and puts the
// results to s. A lone value never combined goes as it is: Combine may or
// may not run.
func (o *Output) combineEnd(s sink, key string, err error) error {
	if err == nil && o.fresh > 0 && len(o.batch) > 1 {
		err = o.combineBatch(s, key)
	}
	for i := 0; err == nil && i < len(o.batch); i++ {
		err = o.put(s, key, o.batch[i], 1)
	}
	clear(o.batch)
	o.batch, o.fresh = o.batch[:0], 0
	return err
}

// combineBatch replaces the batch by what Combine makes of it; results
// that fill half a batch go to s instead, since combining them again
// would gain little.
func (o *Output) combineBatch(s sink, key string) error {
	res, err := o.combine(key, o.batch)
	if err != nil {
		return err
	}
	o.batch, o.fresh = append(o.batch[:0], res...), 0
	if len(o.batch) <= combineBatch/2 {
		return nil
	}
	for _, v := range o.batch {
		if err := o.put(s, key, v, 1); err != nil {
			return err
		}
	}
	clear(o.batch)
	o.batch = o.batch[:0]
	return nil
}

// Finish writes the attempt's output at path: one sections file holding
// every partition's final run, straight from memory if nothing was
// spilled, else by merging the spills. It returns each run's Info.
func (o *Output) Finish(path string) ([]runfile.Info, error) {
	if o.err != nil {
		return nil, o.err
	}
	if o.spills == 0 {
		parts := o.gs.partitions(o.nReduce, &o.sorter)
		return o.writeSections(path, func(r int, w *runfile.Writer) error { return o.writeGroups(parts[r], false)(w) })
	}
	if o.gs.n > 0 {
		if err := o.spill(); err != nil {
			return nil, err
		}
	}
	defer o.RemoveSpills()
	return o.writeSections(path, o.mergeSpills)
}

// writeSections writes the final runs as one sections file, counting the
// records written.
func (o *Output) writeSections(path string, fill func(r int, w *runfile.Writer) error) ([]runfile.Info, error) {
	infos, err := runfile.WriteSections(path, o.nReduce, fill)
	for _, in := range infos {
		o.written += in.Records
	}
	return infos, err
}

// Stats are what an output did, for the engine's counters: every record
// emitted is either in a final run or was combined away.
type Stats struct {
	Emitted, Spilled, Written int64 // records given to Emit, written to spills, written to the final runs
	Bytes                     int64 // bytes of the final runs
}

// Stats says what the output did; runs are Finish's result.
func (o *Output) Stats(runs []runfile.Info) Stats {
	st := Stats{Emitted: o.emitted, Spilled: o.spilled, Written: o.written}
	for _, r := range runs {
		st.Bytes += r.Size
	}
	return st
}

// writeGroups writes the groups of a sorted partition to a final run
// file or a spill, each key's values passed through Combine when the app
// has one.
func (o *Output) writeGroups(part []int32, spill bool) func(*runfile.Writer) error {
	return func(w *runfile.Writer) error {
		s := sink{w, spill}
		for _, id := range part {
			if err := o.writeGroup(s, o.gs.get(id)); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeGroup writes one key's values to s.
func (o *Output) writeGroup(s sink, g *group) error {
	switch {
	case g.more == 0 && (o.combine == nil || g.n <= 1):
		return o.put(s, g.key, g.last, int(g.n))
	case o.combine == nil:
		return o.gs.each(g, func(v string, n int) error { return o.put(s, g.key, v, n) })
	}
	return o.combineGroupTo(s, g)
}
