package mr

import (
	"os"
	"slices"
	"strings"

	"mapreduce/mr/internal/protocol"
	"mapreduce/mr/internal/runfile"
)

// The map side's data path. Records are grouped by key as they are
// emitted, with one hash lookup each: most keys repeat, so grouping costs
// n lookups plus a sort of the distinct keys where sorting the records
// would cost n log n string comparisons. Each key's values keep Map's
// order, so the result equals a stable sort by key. With a Combine, a
// key's values are combined every combineEvery values, so a buffer holds
// little more than the distinct keys. When the buffer outgrows its limit
// it is spilled as one sorted run per partition, and the spills are
// merged into the final run files at the end.

// combineEvery is how many values of one key wait before Combine runs.
const combineEvery = 64

// Bytes held per distinct key beyond its text (the group, its slot in
// groups, the map entry), and per slot of a values slice.
const (
	groupOverhead = 128
	valueOverhead = 16
)

// group is one distinct key and its values in emission order.
type group struct {
	key    string
	values []string
}

// mapOutput collects one map attempt's records for nReduce partitions.
type mapOutput struct {
	nReduce int
	limit   int64 // spill when the estimated size exceeds this
	combine func(key string, values []string) []string
	spillTo func(spill, r int) string // path of spill file for partition r

	ids    map[string]int32
	groups []group
	size   int64
	spills int
	err    error // first spill error; later emits are dropped

	emitted, spilled, written int64 // records: given to emit, written to spills, written to the final runs
}

func newMapOutput(nReduce int, limit int64, combine func(string, []string) []string, spillTo func(int, int) string) *mapOutput {
	return &mapOutput{nReduce: nReduce, limit: limit, combine: combine, spillTo: spillTo, ids: make(map[string]int32)}
}

// emit adds one record.
func (o *mapOutput) emit(key, value string) {
	o.emitted++
	id, ok := o.ids[key]
	if !ok {
		id = int32(len(o.groups))
		o.ids[key] = id
		o.groups = append(o.groups, group{key: key})
		o.size += int64(len(key)) + groupOverhead
	}
	g := &o.groups[id]
	slots := cap(g.values)
	g.values = append(g.values, value)
	o.size += int64(len(value)) + int64(cap(g.values)-slots)*valueOverhead
	if o.combine != nil && len(g.values) >= combineEvery {
		slots = cap(g.values)
		o.size -= textSize(g.values)
		g.values = append(g.values[:0], o.combine(key, g.values)...)
		o.size += textSize(g.values) + int64(cap(g.values)-slots)*valueOverhead
	}
	if o.size > o.limit && o.err == nil {
		o.err = o.spill()
	}
}

func textSize(values []string) int64 {
	var n int64
	for _, v := range values {
		n += int64(len(v))
	}
	return n
}

// partitions deals the groups out by ihash(key) % nReduce, each sorted by key.
func (o *mapOutput) partitions() [][]*group {
	parts := make([][]*group, o.nReduce)
	for i := range o.groups {
		g := &o.groups[i]
		r := ihash(g.key) % o.nReduce
		parts[r] = append(parts[r], g)
	}
	for _, p := range parts {
		slices.SortFunc(p, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	}
	return parts
}

// spill writes the buffer as one sorted run per partition and empties it.
func (o *mapOutput) spill() error {
	for r, part := range o.partitions() {
		info, err := runfile.WriteFile(o.spillTo(o.spills, r), writeGroups(part, o.combine))
		if err != nil {
			return err
		}
		o.spilled += info.Records
	}
	o.spills++
	o.ids = make(map[string]int32)
	o.groups, o.size = nil, 0
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
		parts := o.partitions()
		return o.writeSections(path, func(r int, w *runfile.Writer) error { return writeGroups(parts[r], o.combine)(w) })
	}
	if len(o.groups) > 0 {
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
	return runfile.GroupByKey(runfile.NewMerger(readers), func(key string, values []string) error {
		return writeValues(w, key, values, o.combine)
	})
}

func (o *mapOutput) removeSpills() {
	for k := 0; k < o.spills; k++ {
		for r := 0; r < o.nReduce; r++ {
			os.Remove(o.spillTo(k, r))
		}
	}
}

// writeGroups writes a sorted partition, passing each key's values
// through combine when the app has one.
func writeGroups(part []*group, combine func(string, []string) []string) func(*runfile.Writer) error {
	return func(w *runfile.Writer) error {
		for _, g := range part {
			if err := writeValues(w, g.key, g.values, combine); err != nil {
				return err
			}
		}
		return nil
	}
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

// writeValues writes one key's values, combined first if combine is set.
func writeValues(w *runfile.Writer, key string, values []string, combine func(string, []string) []string) error {
	if combine != nil {
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
