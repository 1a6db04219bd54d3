package mr

// The executor's side: the app's Map, Combine and Reduce run here. In
// mrworker this is a child process of the worker (mrworker -executor
// app.so, ServeExecutor), so that an app that exits, crashes, panics in a
// goroutine, hangs or eats memory costs only its attempt: the worker keeps
// its session, its heartbeats and the run files it serves. The worker does
// all network I/O; the executor reads and writes files in the worker's
// directory only.

import (
	"encoding/gob"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// execTask is one attempt's computation, as the worker hands it over.
type execTask struct {
	Kind       protocol.TaskKind
	Name       string // the attempt, "map-3.a1"
	Dir        string // the worker's directory: run files and spills go here
	Task, N    int
	NReduce    int
	Input      string // map: the input's name, as Map sees it
	SplitPath  string // map: a file holding exactly the split's bytes
	MapBuffer  int64
	Runs       []runfile.Segment // reduce: the fetched runs, in map order
	Scratch    string            // reduce: directory for merge passes and the output
	MergeFanIn int
}

// execResult is how an attempt's computation ended.
type execResult struct {
	Written  int64             // map: bytes of its sections file
	Out      string            // reduce: the output run file
	Err      string            // "" on success
	App      bool              // the failure was the app's, not the disk's
	Counters protocol.Counters // the engine's and the app's counts
	Dropped  int               // the app's counter adds past the limit of names
}

// execMsg is what the executor sends back: progress ticks while an attempt
// runs (a counter that grows as records are emitted or merged), then its
// result.
type execMsg struct {
	Progress int64
	Result   *execResult
}

// progressEvery is how often the executor reports progress.
const progressEvery = 100 * time.Millisecond

// ServeExecutor runs attempts for the worker that started this process:
// it reads tasks from in and writes progress and results to out, until in
// ends. mrworker -executor calls it; nothing else should.
func ServeExecutor(app *App, in io.Reader, out io.Writer) error {
	dec, enc := gob.NewDecoder(in), gob.NewEncoder(out)
	var mu sync.Mutex // guards enc: the ticker and the result share it
	send := func(m execMsg) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(m)
	}
	for {
		var t execTask
		if err := dec.Decode(&t); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var progress atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(progressEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					send(execMsg{Progress: progress.Load()})
				}
			}
		})
		res := runTask(app, &t, &progress)
		close(stop)
		wg.Wait()
		if err := send(execMsg{Result: &res}); err != nil {
			return err
		}
	}
}

// runTask computes one attempt, counting progress, and the engine's and
// the app's counters.
func runTask(app *App, t *execTask, progress *atomic.Int64) execResult {
	var res execResult
	var err error
	user := beginCounters()
	if t.Kind == protocol.MapTask {
		res.Written, err = mapTask(app, t, progress, &res.Counters)
	} else {
		res.Out, err = reduceTask(app, t, progress, &res.Counters)
	}
	res.Dropped = user.end(&res.Counters)
	if err != nil {
		var ae *appError
		res.Err, res.App = err.Error(), errors.As(err, &ae)
	}
	return res
}

// mapTask reads the split, calls Map, and writes one sorted run per
// reduce task, all in one sections file; it returns that file's size.
func mapTask(app *App, t *execTask, progress *atomic.Int64, cnt *protocol.Counters) (int64, error) {
	contents, err := readString(t.SplitPath)
	if err != nil {
		return 0, err
	}
	cnt.MapInputBytes, cnt.MapInputRecords = int64(len(contents)), countLines(contents)
	out := newMapOutput(t.NReduce, t.MapBuffer, app.Combine, spillPath(t.Dir, t.Task, t.N))
	emit := func(key, value string) {
		progress.Add(int64(len(key) + len(value) + 1))
		out.emit(key, value)
	}
	if err := callMap(app, t.Input, contents, emit); err != nil {
		out.removeSpills()
		return 0, err
	}
	runs, err := out.finish(runPath(t.Dir, t.Task, t.N))
	out.count(cnt, runs)
	return cnt.MapOutputBytes + int64(8*len(runs)+8), err
}

// reduceTask merges the fetched runs and calls Reduce per key, writing the
// results as a run file in the scratch directory, whose path it returns.
func reduceTask(app *App, t *execTask, progress *atomic.Int64, cnt *protocol.Counters) (string, error) {
	segs, err := runfile.MergeSegments(t.Runs, t.MergeFanIn, t.Scratch)
	if err != nil {
		return "", err
	}
	runs, closeAll, err := runfile.OpenSegments(segs)
	if err != nil {
		return "", err
	}
	defer closeAll()
	path := filepath.Join(t.Scratch, "out.run")
	info, err := runfile.WriteFile(path, func(out *runfile.Writer) error {
		m := runfile.NewMerger(runs)
		if app.ReduceSeq != nil {
			return runfile.GroupByKeySeq(m, func(key string, values iter.Seq[string]) error {
				cnt.ReduceInputGroups++
				v, err := callReduceSeq(app.ReduceSeq, key, counted(values, progress, cnt))
				if err != nil {
					return err
				}
				return out.Write(key, v)
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
			return out.Write(key, v)
		})
	})
	cnt.ReduceOutputRecords = info.Records
	return path, err
}

// counted passes values through, counting them and their bytes.
func counted(values iter.Seq[string], progress *atomic.Int64, cnt *protocol.Counters) iter.Seq[string] {
	return func(yield func(string) bool) {
		for v := range values {
			cnt.ReduceInputRecords++
			progress.Add(int64(len(v)) + 1)
			if !yield(v) {
				return
			}
		}
	}
}

// textSize is the bytes of text in values.
func textSize(values []string) int64 {
	var n int64
	for _, v := range values {
		n += int64(len(v))
	}
	return n
}

// readString reads a whole file into one string, without the copy that
// converting a byte slice would make: a 64 MiB split costs 64 MiB.
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
	var b strings.Builder
	b.Grow(int(st.Size()))
	if _, err := io.Copy(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}
