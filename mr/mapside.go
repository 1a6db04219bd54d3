package mr

import (
	"hash/maphash"
	"math"
	"os"

	"mapreduce/mr/internal/protocol"
	"mapreduce/mr/internal/runfile"
)

// The map side's data path. Records are grouped by key as they are
// emitted, with one hash lookup each: most keys repeat, so grouping costs
// n lookups plus a sort of the distinct keys where sorting the records
// would cost n log n string comparisons. A key's values keep Map's order,
// so the result equals a stable sort by key; they are held as runs of
// equal values, so a value repeated (a word count's "1") costs a counter,
// not a slot. With a Combine, a key's values are combined when it holds
// combineRuns runs and as it is written, combineBatch values at a time,
// so a buffer holds little more than the distinct keys. When the buffer
// outgrows its limit it is spilled as one sorted run per partition, and
// the spills are merged into the final run files at the end.

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

// mapOutput collects one map attempt's records for nReduce partitions.
type mapOutput struct {
	nReduce int
	limit   int64 // spill when the estimated size exceeds this
	combine func(key string, values []string) []string
	spillTo func(spill, r int) string // path of spill file for partition r

	seed   maphash.Seed
	gs     groups
	size   int64 // estimated bytes held by gs
	spills int
	err    error // first spill or Combine error; later emits are dropped

	batch  []string // values on their way to Combine
	sorter keySorter

	emitted, spilled, written int64 // records: given to emit, written to spills, written to the final runs
}

func newMapOutput(nReduce int, limit int64, combine func(string, []string) []string, spillTo func(int, int) string) *mapOutput {
	o := &mapOutput{nReduce: nReduce, limit: limit, combine: combine, spillTo: spillTo, seed: maphash.MakeSeed()}
	o.empty()
	return o
}

// empty starts an empty buffer.
func (o *mapOutput) empty() {
	o.gs = newGroups(o.seed)
	o.size = int64(len(o.gs.slots)) * slotBytes
}

// emit adds one record.
func (o *mapOutput) emit(key, value string) {
	o.emitted++
	if o.err == nil {
		o.add(key, value, o.gs.hash(key))
	}
}

// add adds one record, whose key has hash h.
func (o *mapOutput) add(key, value string, h uint32) {
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
func (o *mapOutput) addRun(g *group, value string) {
	before := o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes
	o.gs.push(g, value)
	o.size += o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes - before + int64(len(value))
	if o.combine != nil && g.more != 0 && len(o.gs.runs[g.more].vals)+1 >= combineRuns {
		o.combineGroup(g)
	}
}

// combineGroup replaces g's values by what Combine makes of them.
func (o *mapOutput) combineGroup(g *group) {
	var out []string
	if err := o.combineValues(g, func(v string) error { out = append(out, v); return nil }); err != nil {
		o.err = err
		return
	}
	before := o.gs.runBytes(g) + o.gs.textBytes(g)
	o.gs.reset(g)
	for _, v := range out {
		o.gs.push(g, v)
	}
	o.size += o.gs.runBytes(g) + o.gs.textBytes(g) - before
}

// combineValues hands g's values to Combine, combineBatch at a time, each
// batch after the results of the previous one, and passes the results to
// out in order. A lone value that was never combined goes out as it is:
// Combine may or may not run.
func (o *mapOutput) combineValues(g *group, out func(string) error) error {
	batch, fresh := o.batch[:0], 0 // fresh: values in batch not yet combined
	err := o.gs.each(g, func(v string, n int) error {
		for ; n > 0; n-- {
			batch = append(batch, v)
			if fresh++; len(batch) == combineBatch {
				var err error
				if batch, err = o.combineBatch(g.key, batch, out); err != nil {
					return err
				}
				fresh = 0
			}
		}
		return nil
	})
	if err == nil && fresh > 0 && len(batch) > 1 {
		batch, err = o.combineBatch(g.key, batch, out)
	}
	for i := 0; err == nil && i < len(batch); i++ {
		err = out(batch[i])
	}
	clear(batch)
	o.batch = batch[:0]
	return err
}

// combineBatch returns what Combine makes of batch, for more values to
// be added to; results that fill half a batch go to out instead, since
// combining them again would gain little.
func (o *mapOutput) combineBatch(key string, batch []string, out func(string) error) ([]string, error) {
	res, err := callCombine(o.combine, key, batch)
	if err != nil {
		return batch[:0], err
	}
	batch = append(batch[:0], res...)
	if len(batch) <= combineBatch/2 {
		return batch, nil
	}
	for _, v := range batch {
		if err := out(v); err != nil {
			return batch[:0], err
		}
	}
	return batch[:0], nil
}

// spill writes the buffer as one sorted run per partition and empties it.
func (o *mapOutput) spill() error {
	for r, part := range o.gs.partitions(o.nReduce, &o.sorter) {
		info, err := runfile.WriteFile(o.spillTo(o.spills, r), o.writeGroups(part))
		if err != nil {
			return err
		}
		o.spilled += info.Records
	}
	o.spills++
	o.empty()
	return nil
}

// finish writes the attempt's output at path: one sections file holding
// every partition's final run, straight from memory if nothing was
// spilled, else by merging the spills. It returns each run's Info.
func (o *mapOutput) finish(path string) ([]runfile.Info, error) {
	if o.err != nil {
		return nil, o.err
	}
	if o.spills == 0 {
		parts := o.gs.partitions(o.nReduce, &o.sorter)
		return o.writeSections(path, func(r int, w *runfile.Writer) error { return o.writeGroups(parts[r])(w) })
	}
	if o.gs.n > 0 {
		if err := o.spill(); err != nil {
			return nil, err
		}
	}
	defer o.removeSpills()
	return o.writeSections(path, o.mergeSpills)
}

// mergeSpills merges partition r's spills into w, combining each key's
// values from all spills once more.
func (o *mapOutput) mergeSpills(r int, w *runfile.Writer) error {
	readers := make([]*runfile.Reader, o.spills)
	for k := range readers {
		f, err := os.Open(o.spillTo(k, r))
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		readers[k] = runfile.NewReader(f, st.Size())
	}
	m := runfile.NewMerger(readers)
	if o.combine == nil {
		for m.Next() {
			if err := w.WriteBytes(m.Key(), m.Value()); err != nil {
				return err
			}
		}
		return m.Err()
	}
	return runfile.GroupByKey(m, func(key string, values []string) error {
		return writeCombined(w, key, values, o.combine)
	})
}

// writeSections writes the final runs as one sections file, counting the
// records written.
func (o *mapOutput) writeSections(path string, fill func(r int, w *runfile.Writer) error) ([]runfile.Info, error) {
	infos, err := runfile.WriteSections(path, o.nReduce, fill)
	for _, in := range infos {
		o.written += in.Records
	}
	return infos, err
}

// count puts the map side's counters into c: every record emitted is
// either in a final run or was combined away.
func (o *mapOutput) count(c *protocol.Counters, runs []runfile.Info) {
	c.MapOutputRecords, c.SpilledRecords = o.emitted, o.spilled
	c.CombinedAway = o.emitted - o.written
	for _, r := range runs {
		c.MapOutputBytes += r.Size
	}
}

func (o *mapOutput) removeSpills() {
	for k := 0; k < o.spills; k++ {
		for r := 0; r < o.nReduce; r++ {
			os.Remove(o.spillTo(k, r))
		}
	}
}

// writeGroups writes the groups of a sorted partition, passing each key's
// values through Combine when the app has one.
func (o *mapOutput) writeGroups(part []int32) func(*runfile.Writer) error {
	return func(w *runfile.Writer) error {
		for _, id := range part {
			if err := o.writeGroup(w, o.gs.get(id)); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeGroup writes one key's records.
func (o *mapOutput) writeGroup(w *runfile.Writer, g *group) error {
	switch {
	case g.more == 0 && (o.combine == nil || g.n <= 1):
		return w.WriteRepeat(g.key, g.last, int(g.n))
	case o.combine == nil:
		return o.gs.each(g, func(v string, n int) error { return w.WriteRepeat(g.key, v, n) })
	}
	return o.combineValues(g, func(v string) error { return w.Write(g.key, v) })
}

// writeCombined writes one key's values, combined first if there are
// several.
func writeCombined(w *runfile.Writer, key string, values []string, combine func(string, []string) []string) error {
	if len(values) > 1 {
		var err error
		if values, err = callCombine(combine, key, values); err != nil {
			return err
		}
	}
	for _, v := range values {
		if err := w.Write(key, v); err != nil {
			return err
		}
	}
	return nil
}
