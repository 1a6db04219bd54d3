// Package mapside is the map side of a map attempt: it takes the records
// Map emits, groups them by key as they come, combines them with the app's
// Combine when it has one, spills past a memory limit, and writes one
// sorted run per reduce task, all in one sections file (see runfile); or,
// when it spilled with nothing to combine, its spills' runs as they are.
//
// Records are grouped by key as they are emitted, with one hash lookup
// each: most keys repeat, so grouping costs n lookups plus a sort of the
// distinct keys where sorting the records would cost n log n string
// comparisons. A key's values keep Map's order, so the result equals a
// stable sort by key; they are held as runs of equal values, so a value
// repeated (a word count's "1") costs a counter, not a slot, and a key
// whose values are all the buffer's first value is only counted in its
// entry of the key index (index.go). With a Combine, a key's values are
// combined when it holds combineRuns runs and as it is written,
// combineBatch values at a time (a long run of n equal values a batch of
// about sqrt(n) of them, once), so a buffer holds little more than the
// distinct keys. When the buffer outgrows its limit it is spilled as one
// sorted run per partition; at the end the spills are merged with the last
// buffer into the final runs when there is something to combine, and
// otherwise published with it as they are (spill.go). When a spill shows
// the keys nearly all distinct (every line a key), the next buffer skips
// the index: its records are appended in order and sorted stably
// (inorder.go).
//
// It imports nothing of the engine and knows nothing of apps: the caller
// hands it a Combiner that turns an app's panic into an error.
package mapside

import (
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"mapreduce/internal/prefault"
	"mapreduce/internal/runfile"
)

// Combiner combines some of one key's values into fewer; an error stops
// the output (Finish returns it).
type Combiner func(key string, values []string) ([]string, error)

// Partitioner is the partition of a key among n, in [0, n), or why it
// has none: an app's Partition, or a total order's ranges (Ranges). It is
// called once per distinct key of a buffer, as the key is first emitted;
// in a buffer held in order (inorder.go), once per record.
type Partitioner func(key string, n int) (int, error)

// Ranges is the Partitioner of a total order: key goes to the partition
// of how many cut points are <= key, so that partition r holds keys in
// [cuts[r-1], cuts[r]). cuts must be sorted, n-1 of them.
//
// Each comparison looks at the keys' first 8 bytes as one number first
// (prefix8): a key and a cut point that differ there compare as those
// do, and only a tie compares the strings.
func Ranges(cuts []string) Partitioner {
	pre := make([]uint64, len(cuts))
	for i, c := range cuts {
		pre[i] = prefix8(c)
	}
	return func(key string, n int) (int, error) {
		pk := prefix8(key)
		lo, hi := 0, len(cuts)
		for lo < hi { // the first cut point > key
			mid := int(uint(lo+hi) >> 1)
			if pre[mid] < pk || pre[mid] == pk && cuts[mid] <= key {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return min(lo, n-1), nil
	}
}

// prefix8 is the first 8 bytes of s, big-endian, padded with zeros: two
// strings whose prefixes differ are in the order of their prefixes (a
// shorter string's padding sorts below any byte that could extend it, or
// ties with a zero byte, and ties compare the strings).
func prefix8(s string) uint64 { return prefixAt(unsafe.Slice(unsafe.StringData(s), len(s)), 0) }

const (
	// combineRuns is how many runs of values one key holds before they
	// are combined.
	combineRuns = 64
	// combineBatch is how many values one call of Combine gets at most.
	combineBatch = 1024
)

// Bytes held beyond the text of keys and values: per entry of the key
// index, per group, per earlier runs of a group, and per value slot and
// repeat count of those.
const (
	entryBytes    = 32             // unsafe.Sizeof(entry{}), checked by a test
	slotBytes     = entryBytes + 4 // an entry and its partition
	groupBytes    = 24             // unsafe.Sizeof(group{})
	runsBytes     = 48             // unsafe.Sizeof(runs{})
	valueOverhead = 16
	repOverhead   = 4
)

// Output collects one map attempt's records for nReduce partitions.
type Output struct {
	nReduce int
	limit   int64 // spill when the estimated size exceeds this
	combine Combiner
	spillTo func(spill int) string // spillTo(0): where the spills are written (a scratch file)
	part    Partitioner            // nil: partition

	seed        hashSeed
	gs          groups
	size        int64 // estimated bytes held by gs
	spills      int
	groups      *runfile.Groups // the spills, once there is one
	compactions int             // how many times the spills were merged into one (compact)
	ship        bool            // the spills are final runs, to be published as they are (spill.go)
	distinct    bool            // the last buffer spilled held nearly distinct keys: the next is held in order (inorder.go)
	repeats     int64           // keys of a buffer held in order written right after the same key
	bufferFrom  int64           // records emitted before the buffer's first
	runs        []runfile.Info  // the spills' runs, group by group
	file        int64           // the final output's size
	err         error           // first spill or Combine error; later emits are dropped

	batch      []string // values on their way to Combine
	fresh      int      // values in batch not yet combined
	same       []string // combineRun's batch of equal values
	combined   []string // what combineGroup gets back
	sorter     keySorter
	spillKey   []byte // the record putSpill writes
	appKeys    []byte // appKey's block, filled and never reused
	spillGroup spillGroup
	spillValue []byte

	emitted, spilled, written int64 // records: given to emit, written to spills, written to the final runs

	// progress, if set, counts the bytes emitted (a key, a value and one
	// more each); unpublished are those not added to it yet.
	progress    *atomic.Int64
	unpublished int64
	keys        int64 // the most distinct keys a spilled buffer held
}

// New makes an empty output for nReduce partitions that spills past about
// limit bytes held, to the files spillTo names (spill k, each a sections
// file of nReduce runs). Its keys are hashed with seed 0 until SetSeed.
// combine may be nil.
func New(nReduce int, limit int64, combine Combiner, spillTo func(k int) string) *Output {
	o := &Output{nReduce: nReduce, limit: limit, combine: combine, spillTo: spillTo, seed: seedOf(0)}
	o.empty()
	return o
}

// Reserve sizes the key index for about keys distinct keys, before the
// first Emit, if the index fits the buffer: an index grown from empty
// places every key again at each growth, which for a task of many
// distinct keys is a cost of its own whatever the task's size. A task's
// executor passes the last task's Stats.Keys, the most keys one of its
// buffers held: its index grew as large, so this one takes no more room.
// (Within half the buffer, as it was, a word count's 250,000 words per
// task, an index of 14 MB in a buffer of 16 MiB, were never reserved.)
func (o *Output) Reserve(keys int) {
	n := minIndex
	for n/4*3 < keys {
		n += n / 2
	}
	if n <= len(o.gs.entries) || int64(n)*slotBytes > o.limit || o.emitted > 0 {
		return
	}
	o.gs.entries, o.gs.parts = make([]entry, n), make([]uint32, n)
	prefault.Slice(o.gs.entries)
	o.size = int64(n) * slotBytes
}

// publishEvery is how many bytes emitted are published to the progress
// counter at once: an atomic add per record costs a map task a few per
// cent.
const publishEvery = 64 << 10

// CountProgress has Emit add the bytes of every record (the key, the
// value and one more) to p, 64 KiB at a time; Flush adds the rest. Set it
// before the first Emit.
func (o *Output) CountProgress(p *atomic.Int64) { o.progress = p }

// Flush adds the emitted bytes not yet counted to the progress counter.
func (o *Output) Flush() {
	if o.progress != nil {
		o.progress.Add(o.unpublished)
		o.unpublished = 0
	}
}

// SetSeed has the output hash its keys, for its index and for their
// default partitions, with the job's seed: set it before the first Emit.
// Every map task of a job must have the same seed (Partition).
func (o *Output) SetSeed(seed uint64) { o.seed = seedOf(seed) }

// SetPartitioner sends keys to partitions by p rather than by their hash
// (Partition): set it before the first Emit. An error of p stops the
// output (Finish returns it).
func (o *Output) SetPartitioner(p Partitioner) { o.part = p }

// empty starts an empty buffer. After a spill it keeps the key index,
// cleared, if that takes at most 3/4 of the limit: the next buffer would
// most likely grow a new one as large again, which costs more than
// clearing it.
//
// A buffer held in order follows a spill of nearly distinct keys
// (inorder.go); it keeps the entries of one held in order as they are,
// and starts anew after an index, whose entries hold a quarter empty.
func (o *Output) empty() {
	old, parts, keyBuf, wasInOrder := o.gs.entries, o.gs.parts, o.gs.keyBuf, o.gs.inOrder
	o.gs = newGroups(&o.seed)
	o.gs.keyBuf, o.gs.inOrder = keyBuf, o.distinct
	o.repeats, o.bufferFrom = 0, o.emitted
	if len(old) > len(o.gs.entries) && int64(len(old))*slotBytes <= o.limit/4*3 && wasInOrder == o.distinct {
		if !o.distinct {
			clear(old)
		}
		o.gs.entries, o.gs.parts = old, parts
	}
	o.size = int64(len(o.gs.entries)) * slotBytes
}

// Emit adds one record. After an error (a spill's, or Combine's) records
// are dropped: Finish returns the error.
func (o *Output) Emit(key, value string) {
	o.emitted++
	if o.progress != nil {
		if o.unpublished += int64(len(key) + len(value) + 1); o.unpublished >= publishEvery {
			o.progress.Add(o.unpublished)
			o.unpublished = 0
		}
	}
	if o.err != nil {
		return
	}
	if o.gs.inOrder {
		o.appendRecord(key, value)
		return
	}
	o.group(key, value)
}

// Detach makes the buffer hold its own copy of every value, none
// pointing into the memory the app emitted it from: an output kept open
// from one split to the next would otherwise keep each split alive
// through the values taken from it, until Finish. Keys are copies
// already. A word count's values cost little: its "1"s are counted in
// the index, and only its combined counts are copied.
func (o *Output) Detach() { o.gs.detach() }

// group adds one record to a buffer grouped by key, through the index.
func (o *Output) group(key, value string) {
	e, found, h := o.gs.lookup(key)
	if found && e.id == 0 && e.n < math.MaxUint32 && o.gs.isCommon(value) {
		e.n++ // the common case, in one entry
		return
	}
	o.add(e, found, key, value, h)
}

// add adds one record, whose key has hash h, at e, as lookup found it.
func (o *Output) add(e *entry, found bool, key, value string, h uint64) {
	switch {
	case !found:
		part, err := o.partition(key, h)
		if err != nil {
			o.err = err
			return
		}
		if o.gs.full() && o.size+o.gs.growth() > o.limit && o.gs.used > 0 {
			// Growing the index would pass the limit: spill instead, and
			// keep the index for the next buffer.
			if o.err = o.spill(); o.err != nil {
				return
			}
			if o.gs.inOrder {
				o.appendRecord(key, value)
				return
			}
			e, _, _ = o.gs.lookup(key)
		}
		o.size += o.gs.add(e, key, value, uint32(h>>32), part)
	default:
		g, size := o.gs.group(e)
		if o.size += size; value == g.last && g.n < math.MaxUint32 {
			g.n++
			return
		}
		o.addRun(g, key, value)
	}
	if o.size > o.limit && o.err == nil {
		o.err = o.spill()
	}
}

// partition is the partition of key, whose hash is h, a key new to the
// buffer.
func (o *Output) partition(key string, h uint64) (uint32, error) {
	if o.part == nil {
		return partOf(h, o.nReduce), nil
	}
	r, err := o.part(key, o.nReduce)
	return uint32(r), err
}

// addRun starts a new run of g's values with value, and combines g's
// runs once they are combineRuns.
func (o *Output) addRun(g *group, key, value string) {
	before := o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes
	o.gs.push(g, value)
	o.size += o.gs.runBytes(g) + int64(cap(o.gs.runs))*runsBytes - before + int64(len(value))
	if o.combine != nil && g.more != 0 && len(o.gs.runs[g.more].vals)+1 >= combineRuns {
		o.combineGroup(g, key)
	}
}

// combineGroup replaces g's values, of key, by what Combine makes of them.
func (o *Output) combineGroup(g *group, key string) {
	if err := o.combineGroupTo(sink{}, key, g); err != nil {
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

// combineGroupTo passes g's values, of key, through Combine to s.
func (o *Output) combineGroupTo(s sink, key string, g *group) error {
	err := o.gs.each(g, func(v string, n int) error { return o.combineAdd(s, key, v, n) })
	return o.combineEnd(s, key, err)
}

// combineAdd adds n values v of key to the batch for Combine, which is
// combined once it holds combineBatch values, and the results kept in it
// for the next values. A run of minRunBatch equal values or more is
// combined a batch of about sqrt(n) of them at a time, once: Combine is
// deterministic, so every batch of the run would give the same result,
// and when that is one value a run of it stands for the batches. A word
// count's "1" x 10,000 costs Combine 128 + 78 + 16 values, not 10,000.
func (o *Output) combineAdd(s sink, key, v string, n int) error {
	if n >= minRunBatch {
		size := runBatch(n)
		r, ok, err := o.combineRun(key, v, size)
		if err != nil {
			return err
		}
		if ok {
			k := n / size
			if err := o.combineAdd(s, key, r, k); err != nil {
				return err
			}
			n -= k * size
		}
	}
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

// minRunBatch is the shortest run of equal values combined in batches of
// them: below it, the calls to Combine that batches add cost more than
// they save.
const minRunBatch = 128

// runBatch is the size of the batches a run of n equal values is combined
// in: a power of two about sqrt(n), at most combineBatch, so that the
// batch and the run of its results are both short.
func runBatch(n int) int { return min(1<<(bits.Len(uint(n))/2), combineBatch) }

// combineRun combines size values v of key and returns the result if it
// is one value.
func (o *Output) combineRun(key, v string, size int) (string, bool, error) {
	if o.same == nil {
		o.same = make([]string, combineBatch)
	}
	same := o.same[:size]
	for i := range same { // anew each time: Combine may have changed them
		same[i] = v
	}
	res, err := o.combine(key, same)
	var r string
	ok := err == nil && len(res) == 1
	if ok {
		r = res[0] // before clearing: res may be same[:1]
	}
	clear(same)
	return r, ok, err
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
// spilled; else, by merging the spills and what is still in memory, or
// with the spills and the last buffer as they are, a grouped sections
// file (shipSpills: see spill.go). It returns each run's Info.
func (o *Output) Finish(path string) ([]runfile.Info, error) {
	if o.err != nil {
		o.RemoveSpills()
		return nil, o.err
	}
	parts := o.gs.partitions(o.nReduce, &o.sorter)
	switch {
	case o.spills == 0:
		return o.writeSections(path, func(r int, w *runfile.Writer) error { return o.writeGroups(parts[r], false)(w) })
	case o.ship:
		return o.shipSpills(path, parts)
	}
	defer o.RemoveSpills()
	return o.writeSections(path, func(r int, w *runfile.Writer) error { return o.mergeSpills(r, w, parts[r]) })
}

// writeSections writes the final runs as one sections file, counting the
// records written.
func (o *Output) writeSections(path string, fill func(r int, w *runfile.Writer) error) ([]runfile.Info, error) {
	infos, err := runfile.WriteSections(path, o.nReduce, fill)
	o.file = int64(8*len(infos) + 8)
	for _, in := range infos {
		o.written += in.Records
		o.file += in.Size
	}
	return infos, err
}

// shipSpills writes the last buffer, parts, as one more group of the
// spills and publishes them at path as the final output: a grouped
// sections file, each partition one run per group.
func (o *Output) shipSpills(path string, parts [][]int32) ([]runfile.Info, error) {
	defer o.RemoveSpills() // a no-op once committed
	last, err := o.groups.Add(func(r int, w *runfile.Writer) error { return o.writeGroups(parts[r], false)(w) })
	if err != nil {
		return nil, fmt.Errorf("mapside: the last buffer: %w", err)
	}
	if o.file, err = o.groups.CommitAt(path); err != nil {
		return nil, err
	}
	runs := append(o.runs, last...)
	for _, in := range runs {
		o.written += in.Records
	}
	return runs, nil
}

// Stats are what an output did, for the engine's counters: every record
// emitted is either in a final run or was combined away.
type Stats struct {
	Emitted, Spilled, Written int64 // records given to Emit, written to spills, written to the final runs
	Bytes                     int64 // bytes of the final runs
	File                      int64 // bytes of the final output, its runs and index
	Keys                      int64 // the most distinct keys one buffer held (a hint for Reserve)
}

// Stats says what the output did; runs are Finish's result.
func (o *Output) Stats(runs []runfile.Info) Stats {
	st := Stats{Emitted: o.emitted, Spilled: o.spilled, Written: o.written, File: o.file, Keys: o.mostKeys()}
	for _, r := range runs {
		st.Bytes += r.Size
	}
	return st
}

// writeGroups writes the keys of a sorted partition, as the indexes of
// their entries, to a final run file or a spill, each key's values passed
// through Combine when the app has one.
func (o *Output) writeGroups(part []int32, spill bool) func(*runfile.Writer) error {
	return func(w *runfile.Writer) error {
		s := sink{w, spill}
		keys := o.gs.keyText(part)
		prev := ""
		for i, id := range part {
			e := &o.gs.entries[id]
			key := keys[:e.klen-1]
			keys = keys[len(key):]
			if o.gs.inOrder && i > 0 && key == prev {
				o.repeats++
			}
			prev = key
			if err := o.writeKey(s, key, e); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeKey writes the values of key, whose entry is e, to s. A single run
// of values goes to a spill as it is, one record: Combine would make it no
// smaller, and the merge of the spills combines the key's values anyway.
func (o *Output) writeKey(s sink, key string, e *entry) error {
	if e.id == 0 { // e.n common values
		if o.combine == nil || e.n <= 1 || s.spill {
			return o.put(s, key, o.gs.common, int(e.n))
		}
		key = o.appKey(key)
		return o.combineEnd(s, key, o.combineAdd(s, key, o.gs.common, int(e.n)))
	}
	g := o.gs.get(int32(e.id - 1))
	switch {
	case g.more == 0 && (o.combine == nil || g.n <= 1 || s.spill):
		return o.put(s, key, g.last, int(g.n))
	case o.combine == nil:
		return o.gs.each(g, func(v string, n int) error { return o.put(s, key, v, n) })
	}
	return o.combineGroupTo(s, o.appKey(key), g)
}

// appKey returns a copy of key, from keyText, that Combine may keep: a
// string of its own, in blocks of keysChunk never written again.
func (o *Output) appKey(key string) string {
	if len(key) == 0 {
		return ""
	}
	if cap(o.appKeys)-len(o.appKeys) < len(key) {
		o.appKeys = make([]byte, 0, max(len(key), keysChunk))
	}
	start := len(o.appKeys)
	o.appKeys = append(o.appKeys, key...)
	return unsafe.String(&o.appKeys[start], len(key))
}

// eachRun calls f with every run of the values of the key whose entry is
// e, in order, until f fails.
func (o *Output) eachRun(e *entry, f func(v string, n int) error) error {
	if e.id == 0 {
		return f(o.gs.common, int(e.n))
	}
	return o.gs.each(o.gs.get(int32(e.id-1)), f)
}
