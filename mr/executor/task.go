// The computation of one attempt, in whichever process runs it.

package executor

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"mapreduce/internal/mapside"
	"mapreduce/internal/prefault"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// meter is how far an attempt has got: a counter that grows with the
// bytes emitted or merged, and which input a map attempt is on.
type meter struct {
	bytes atomic.Int64
	input atomic.Int32
}

// heapLimit is the heap limit last set from a task.
var heapLimit atomic.Int64

// mapKeys is the most distinct keys a buffer of the last map task held:
// the next one's index starts that large (mapside's Reserve).
var mapKeys atomic.Int64

// runTask computes one attempt, counting progress, and the engine's and
// the app's counters.
func runTask(app *mr.App, t *Task, m *meter) Result {
	if t.HeapLimit > 0 && heapLimit.Swap(t.HeapLimit) != t.HeapLimit {
		debug.SetMemoryLimit(t.HeapLimit)
	}
	if t.HeapLimit > 0 {
		collectFor(t.Kind)
	}
	if t.Stream != nil { // the app is the job's commands
		var done func()
		var err error
		if app, t, done, err = streamTask(t); err != nil {
			return Result{Err: err.Error()}
		}
		defer done()
	}
	var res Result
	var err error
	counts := mr.StartCounting()
	mr.SetParams(t.Params)
	switch {
	case t.Kind == protocol.MapTask && (t.Keep || t.Drop || t.Group != ""):
		res.Written, err = groupTask(app, t, m, &res.Counters)
	case t.Kind == protocol.MapTask && t.NReduce == 0:
		res.Out, err = mapOnlyTask(app, t, m, &res.Counters)
	case t.Kind == protocol.MapTask:
		res.Written, err = mapTask(app, t, m, &res.Counters)
	default:
		res.Out, err = reduceTask(app, t, &m.bytes, &res.Counters)
	}
	res.Counters.User, res.Dropped = counts.Stop()
	if err != nil {
		var ae *AppError
		res.Err, res.App = err.Error(), errors.As(err, &ae)
		if ce := (*copyError)(nil); errors.As(err, &ce) {
			res.Copy = &CopyFailure{Piece: ce.piece, Differs: ce.differs, Cause: ce.err.Error()}
		}
		if res.App && ae == err {
			res.Err = ae.Msg // Result.App says whose fault; the worker's AppError says "app: "
		}
	}
	return res
}

// gcPercent is the process's GOGC as it started.
var gcPercent = sync.OnceValue(func() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
})

// collectFor sets the collector for a task of kind under a heap limit. A
// reduce task's live heap is small, and the collector would run every
// few MB it allocates (a quarter of wc's reduce CPU): it collects only
// near the limit. A map task keeps GOGC: its heap is near the limit
// anyway (its split and buffer), and a heap let grow to it takes fresh
// pages where collections reuse them (measured: Map 10 % slower).
func collectFor(kind protocol.TaskKind) {
	if kind == protocol.ReduceTask {
		gcPercent()
		debug.SetGCPercent(-1)
	} else {
		debug.SetGCPercent(gcPercent())
	}
}

// mapTask reads the split, calls Map once per input, and writes one
// sorted run per reduce task, all in one sections file; it returns that
// file's size.
func mapTask(app *mr.App, t *Task, m *meter, cnt *protocol.Counters) (int64, error) {
	sp, err := openSplit(t, cnt)
	if err != nil {
		return 0, err
	}
	defer sp.close() // mapInputs closes it; this, if it is not called
	out := newOutput(app, t, m)
	emit := out.Emit // the app calls the output itself
	flush := func() error { return nil }
	var mapped int64 // a streaming combiner's input: the mapper's records
	if t.Stream != nil && t.Stream.Combiner != "" {
		emit, flush = streamCombine(t, emit, &mapped)
	}
	err = mapInputs(mapperOf(app, t, m), t.Inputs, sp, m, cnt, emit)
	if err == nil {
		err = flush()
	}
	out.Flush()
	if err != nil {
		out.RemoveSpills()
		return 0, err
	}
	return finish(out, t.Out, mapped, cnt)
}

// openSplit reads t's split, after collecting if it is large, and counts
// its bytes.
func openSplit(t *Task, cnt *protocol.Counters) (*split, error) {
	collectBeforeSplit(t)
	sp, err := readSplit(t)
	if err != nil {
		return nil, err
	}
	cnt.MapInputBytes = int64(len(sp.text))
	return sp, nil
}

// newOutput makes the map output of t, counting its progress on m, its
// index as large as the last task's grew.
func newOutput(app *mr.App, t *Task, m *meter) *mapside.Output {
	var combine mapside.Combiner
	if app.Combine != nil {
		combine = func(key string, values []string) ([]string, error) { return callCombine(app.Combine, key, values) }
	}
	spill := t.Spill // not t: an output kept open outlives its Task (keep.go)
	out := mapside.New(t.NReduce, t.MapBuffer, combine, func(k int) string { return spill + "-" + strconv.Itoa(k) })
	out.SetSeed(t.Seed)
	out.Reserve(int(mapKeys.Load()))
	if p := partitioner(app, t.Cuts); p != nil {
		out.SetPartitioner(p)
	}
	out.CountProgress(&m.bytes)
	return out
}

// finish writes out as the sections file at path, counts what it did,
// and returns the file's size. mapped, if positive, is the records of a
// streaming mapper, which are the map's output records when a combiner
// stood between it and out.
func finish(out *mapside.Output, path string, mapped int64, cnt *protocol.Counters) (int64, error) {
	runs, err := out.Finish(path)
	st := out.Stats(runs)
	mapKeys.Store(st.Keys)
	cnt.MapOutputRecords, cnt.SpilledRecords, cnt.CombinedAway = st.Emitted, st.Spilled, st.Emitted-st.Written
	if mapped > 0 {
		cnt.MapOutputRecords, cnt.CombinedAway = mapped, mapped-st.Written
	}
	cnt.MapOutputBytes = st.Bytes
	return st.File, err
}

// collectBeforeSplit collects before a large split is read: the last
// task's split and buffer are garbage now, but the collector may not have
// run since, and without this the split would be allocated beside them,
// the process holding two splits' worth of memory (a map-only job's
// workers peaked at 153 MiB with 64 MiB splits). A collection of a heap
// with little alive costs about a millisecond; a large split's Map,
// hundreds.
func collectBeforeSplit(t *Task) {
	if splitSize(t) >= largeSplit {
		runtime.GC()
	}
}

// mapInputs calls Map on each input's part of contents, in order,
// counting their lines.
func mapInputs(mapper mapFunc, inputs []Input, sp *split, m *meter, cnt *protocol.Counters, emit func(k, v string)) error {
	err := mapParts(mapper, inputs, sp, m, cnt, emit)
	if cerr := sp.close(); err == nil {
		err = cerr
	}
	return err
}

// mapParts is mapInputs but for the end of the split's transfer.
func mapParts(mapper mapFunc, inputs []Input, sp *split, m *meter, cnt *protocol.Counters, emit func(k, v string)) error {
	contents := sp.text
	var off int64
	for i, in := range inputs {
		if in.Length < 0 || off+in.Length > int64(len(contents)) {
			return errors.New("executor: the split is shorter than its inputs")
		}
		if err := sp.wait(off + in.Length); err != nil {
			return err
		}
		part := contents[off : off+in.Length]
		cnt.MapInputRecords += countLines(part)
		m.input.Store(int32(i))
		if err := mapper(in.Name, part, emit); err != nil {
			return err
		}
		off += in.Length
	}
	if off != int64(len(contents)) {
		return errors.New("executor: the split is longer than its inputs")
	}
	return nil
}

// reduceTask merges the fetched runs and calls Reduce per key, writing the
// results as a run, in memory if small, else a file in the scratch
// directory (made only if need be).
func reduceTask(app *mr.App, t *Task, progress *atomic.Int64, cnt *protocol.Counters) (runfile.Segment, error) {
	segs, err := runfile.MergeSegments(t.Runs, t.MergeFanIn, t.Scratch)
	if err != nil {
		return runfile.Segment{}, err
	}
	runs, closeAll, err := runfile.OpenSegments(segs)
	if err != nil {
		return runfile.Segment{}, err
	}
	defer closeAll()
	path := filepath.Join(t.Scratch, "out.run")
	seg, info, err := runfile.WriteSpill(path, inlineOutput, func(out *runfile.Writer) error {
		m := runfile.NewMerger(runs)
		write := lineChecked(out.Write)
		if t.Stream != nil {
			return streamReduce(t, m, out.WriteBytes, progress, cnt) // its lines hold no newline
		}
		if app.ReduceEmit != nil || app.ReduceSeq != nil {
			seen := runfile.SeqCounts{Progress: progress}
			defer func() { cnt.ReduceInputRecords += seen.Values }()
			return seen.GroupByKeySeq(m, func(key string, values iter.Seq[string]) error {
				cnt.ReduceInputGroups++
				return reduceSeq(app, key, values, write)
			})
		}
		return runfile.GroupByKey(m, func(key string, values []string) error {
			cnt.ReduceInputGroups++
			cnt.ReduceInputRecords += int64(len(values))
			progress.Add(int64(len(key)) + textSize(values) + int64(len(values)))
			v, err := callReduce(app.Reduce, key, values)
			if err != nil {
				return err
			}
			return write(key, v)
		})
	})
	cnt.ReduceOutputRecords = info.Records
	return seg, err
}

// inlineOutput is the largest reduce output handed back in memory rather
// than in a file: most tasks of a job of many reduce tasks are small, and
// a file each costs more than their work.
const inlineOutput = 1 << 20

// textSize is the bytes of text in values.
func textSize(values []string) int64 {
	var n int64
	for _, v := range values {
		n += int64(len(v))
	}
	return n
}

// countLines is a split's number of records: its lines, the last one
// counted even without a newline.
func countLines(s string) int64 {
	n := int64(strings.Count(s, "\n"))
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// largeSplit is the split size from which a map task first collects the
// garbage of the tasks before it.
const largeSplit = 8 << 20

// readString reads a whole file into one string (readExactly).
func readString(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	return readExactly(f, st.Size())
}

// readExactly reads size bytes from r, and checks that r ends there,
// into one string: the bytes are read straight into the string's memory,
// neither through a buffer nor converted from a byte slice, so that a
// 64 MiB split is copied once and costs 64 MiB.
func readExactly(r io.Reader, size int64) (string, error) {
	if size < 0 || int64(int(size)) != size {
		return "", fmt.Errorf("a split of %d bytes", size)
	}
	if size == 0 {
		return "", checkEnd(r, 0)
	}
	b := make([]byte, size)
	prefault.Bytes(b)
	if n, err := io.ReadFull(r, b); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return "", fmt.Errorf("got %d bytes, want %d", n, size)
		}
		return "", err
	}
	if err := checkEnd(r, size); err != nil {
		return "", err
	}
	return unsafe.String(&b[0], len(b)), nil // b is never written again
}

// checkEnd checks that r, of which size bytes were read, has no more.
func checkEnd(r io.Reader, size int64) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	switch {
	case n > 0:
		return fmt.Errorf("got more than %d bytes", size)
	case err == io.EOF:
		return nil
	}
	return err
}
