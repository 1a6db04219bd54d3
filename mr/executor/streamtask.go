// streamtask.go is a streaming job's attempt: the mapper run once per
// input of the split, its records then handled as Map's are (grouped,
// partitioned, spilled, sorted); the combiner run over batches of the
// map's records sorted by key; the reducer run once per reduce attempt
// over the merged records.

package executor

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// mapFunc calls the app's map on one input's text, handing its records
// to emit.
type mapFunc func(name, text string, emit func(key, value string)) error

// streamTask readies a streaming attempt: it checks the commands and
// makes the working directory, holding the shipped files. It returns an
// app with nothing to call (the engine hashes keys to reduce tasks, as
// for an app without Partition), the task with its working directory
// set, and what removes that directory.
func streamTask(t *Task) (*mr.App, *Task, func(), error) {
	if err := t.Stream.Check(); err != nil {
		return nil, nil, nil, err
	}
	if t.Kind == protocol.ReduceTask && t.Stream.Reducer == "" {
		return nil, nil, nil, fmt.Errorf("mr: a reduce attempt of a streaming job without a reducer")
	}
	dir, done, err := workDir(t.WorkDir, t.Files, false)
	if err != nil {
		return nil, nil, nil, err
	}
	tc := *t
	tc.WorkDir = dir
	return &mr.App{Name: "stream"}, &tc, done, nil
}

// mapperOf is how an attempt maps an input: the app's Map, or the
// streaming job's mapper, the bytes fed to it counted as progress.
func mapperOf(app *mr.App, t *Task, m *meter) mapFunc {
	if t.Stream == nil {
		return func(name, text string, emit func(k, v string)) error { return callMap(app, name, text, emit) }
	}
	r := mapRun{mapper: t.Stream.Mapper, dir: t.WorkDir, attempt: t.Name, nReduce: t.NReduce, params: t.Params,
		fed: func(n int64) { m.bytes.Add(n) }}
	return r.run
}

// mapRun is how a streaming job's mapper runs.
type mapRun struct {
	mapper, dir, attempt string
	nReduce              int
	params               map[string]string
	fed                  func(n int64) // called as its input is written; nil: not
}

// feedChunk is the piece of a mapper's input written at a time.
const feedChunk = 64 << 10

// run runs the mapper over one input's text, emitting each line it
// writes as a record, split at its first TAB.
func (r *mapRun) run(name, text string, emit func(k, v string)) error {
	c := &command{role: "mapper", line: r.mapper, on: "input " + name, dir: r.dir, tag: r.attempt,
		env: streamEnv(r.params, "mapreduce_map_input_file="+name, "map_input_file="+name,
			"mapreduce_task_attempt_id="+r.attempt, "mapreduce_job_reduces="+strconv.Itoa(r.nReduce))}
	return c.run(func(w *bufio.Writer) error {
		for rest := text; rest != ""; {
			n := min(len(rest), feedChunk)
			if _, err := w.WriteString(rest[:n]); err != nil {
				return err
			}
			if rest = rest[n:]; r.fed != nil {
				r.fed(int64(n))
			}
		}
		return nil
	}, func(line []byte) error {
		emitLine(string(line), emit)
		return nil
	})
}

// emitLine emits a line as a record, split at its first TAB: one string
// for both.
func emitLine(line string, emit func(k, v string)) {
	if i := strings.IndexByte(line, '\t'); i >= 0 {
		emit(line[:i], line[i+1:])
		return
	}
	emit(line, "")
}

// streamCombine batches the records emit would take, and hands them on
// through the combiner: each batch, up to a quarter of the map buffer,
// sorted by key (stably), is the combiner's input, and its output lines
// are the records; *mapped counts the records it took. flush runs the
// last batch.
func streamCombine(t *Task, emit func(k, v string), mapped *int64) (batched func(k, v string), flush func() error) {
	limit := max(t.MapBuffer/4, 1<<20)
	var batch []mr.KeyValue
	var size int64
	var err error
	flush = func() error {
		if err != nil || len(batch) == 0 {
			return err
		}
		slices.SortStableFunc(batch, func(a, b mr.KeyValue) int { return cmp.Compare(a.Key, b.Key) })
		c := &command{role: "combiner", line: t.Stream.Combiner, on: t.Name, dir: t.WorkDir, tag: t.Name,
			env: streamEnv(t.Params, "mapreduce_task_attempt_id="+t.Name)}
		err = c.run(func(w *bufio.Writer) error { return writeRecords(w, batch) }, func(line []byte) error {
			emitLine(string(line), emit)
			return nil
		})
		batch, size = batch[:0], 0
		return err
	}
	batched = func(k, v string) {
		*mapped++
		batch = append(batch, mr.KeyValue{Key: k, Value: v})
		if size += int64(len(k) + len(v) + 32); size >= limit {
			flush()
		}
	}
	return batched, flush
}

// writeRecords writes records as "key<TAB>value" lines.
func writeRecords(w *bufio.Writer, records []mr.KeyValue) error {
	for _, kv := range records {
		w.WriteString(kv.Key)
		w.WriteByte('\t')
		w.WriteString(kv.Value)
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// streamReduce runs the reducer once over the merged records, written
// as "key<TAB>value" lines, and writes each line it writes as an output
// record, split at its first TAB. Its output keys must not decrease:
// mr-<app>-all merges the reduce outputs by key.
func streamReduce(t *Task, m *runfile.Merger, write func(k, v []byte) error, progress *atomic.Int64, cnt *protocol.Counters) error {
	c := &command{role: "reducer", line: t.Stream.Reducer, on: t.Name, dir: t.WorkDir, tag: t.Name,
		env: streamEnv(t.Params, "mapreduce_task_attempt_id="+t.Name, "mapreduce_job_reduces="+strconv.Itoa(t.NReduce))}
	var prev []byte
	out := orderedOutput(c.line, write)
	return c.run(func(w *bufio.Writer) error {
		for m.Next() {
			k, v := m.Key(), m.Value()
			if cnt.ReduceInputRecords == 0 || !bytes.Equal(k, prev) {
				cnt.ReduceInputGroups++
				prev = append(prev[:0], k...)
			}
			cnt.ReduceInputRecords++
			progress.Add(int64(len(k) + len(v) + 2))
			w.Write(k)
			w.WriteByte('\t')
			w.Write(v)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		}
		return m.Err()
	}, out)
}

// orderedOutput takes a reducer's output lines, split at the first TAB,
// to write, refusing a key smaller than the one before it.
func orderedOutput(reducer string, write func(k, v []byte) error) func(line []byte) error {
	var prev []byte
	first := true
	return func(line []byte) error {
		k, v := splitTab(line)
		if !first && bytes.Compare(k, prev) < 0 {
			return &AppError{fmt.Sprintf("the reducer %s wrote the key %s after %s: its output keys must not decrease "+
				"(mr-<app>-all merges the outputs by key)", quoteCommand(reducer), quoteKey(string(k)), quoteKey(string(prev)))}
		}
		first, prev = false, append(prev[:0], k...)
		return write(k, v)
	}
}

// SequentialStream is Sequential for a streaming job: the mapper run on
// each piece of the inputs, in order; its records sorted by key, stably;
// the reducer run once over them all, its output keys checked not to
// decrease; a map-only job's output the mapper's records in order. The
// combiner is not run: whether it runs must not change the output, and
// the reference is what checks that. The commands run in a temp dir
// holding copies of files (the shipped files by name) that they may run,
// as in a job.
func SequentialStream(s *protocol.Stream, files map[string]string, inputs []string, opt input.Options, ref Reference, outPath string) error {
	if err := s.Check(); err != nil {
		return err
	}
	tasks, _, err := input.Tasks(inputs, opt)
	if err != nil {
		return err
	}
	dir, done, err := workDir("", files, true)
	if err != nil {
		return err
	}
	defer done()
	var all []mr.KeyValue
	for _, task := range tasks {
		for _, p := range task {
			text, err := readPiece(p)
			if err != nil {
				return err
			}
			r := mapRun{mapper: s.Mapper, dir: dir, attempt: "sequential", nReduce: ref.NReduce, params: ref.Params}
			if err := r.run(p.File, text, func(k, v string) {
				all = append(all, mr.KeyValue{Key: k, Value: v})
			}); err != nil {
				return err
			}
		}
	}
	return writeOutput(outPath, func(write func(k, v string) error) error {
		if ref.MapOnly {
			return writeAll(all, write)
		}
		slices.SortStableFunc(all, func(a, b mr.KeyValue) int { return cmp.Compare(a.Key, b.Key) })
		c := &command{role: "reducer", line: s.Reducer, on: "the sorted records", dir: dir, tag: "sequential",
			env: streamEnv(ref.Params, "mapreduce_task_attempt_id=sequential", "mapreduce_job_reduces="+strconv.Itoa(ref.NReduce))}
		return c.run(func(w *bufio.Writer) error { return writeRecords(w, all) }, orderedOutput(s.Reducer, func(k, v []byte) error {
			return write(string(k), string(v))
		}))
	})
}

// writeAll writes records in order.
func writeAll(records []mr.KeyValue, write func(k, v string) error) error {
	for _, kv := range records {
		if err := write(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// writeOutput writes outPath, complete or not at all, as "key value"
// lines that fill writes.
func writeOutput(outPath string, fill func(write func(k, v string) error) error) error {
	out, err := atomicfile.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	err = fill(func(key, value string) error {
		bw.WriteString(key)
		bw.WriteByte(' ')
		bw.WriteString(value)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mr: writing %s: %w", outPath, err)
	}
	return out.Commit()
}
