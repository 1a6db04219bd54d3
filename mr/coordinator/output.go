// output.go: the coordinator's outputs: each reduce task's verified
// upload becomes mr-out-Y (text) and is kept in run format in the work
// directory; the last one starts the merge of all of them into
// mr-<app>-all.

package coordinator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/scheduler"
)

// commitRun turns a verified upload, a run file of size bytes with the
// CRC crc, into mr-out-Y if the scheduler accepts the attempt as the
// task's winner; a journaled job journals it before it is acknowledged.
// text is mr-out-Y already written from the upload as it arrived, or nil:
// then it is written from run now.
func (c *Coordinator) commitRun(run runfile.Segment, text *outputText, size int64, crc uint32, read int64, counters *protocol.Counters, a protocol.Attempt) (bool, error) {
	if run.Path != "" {
		defer os.Remove(run.Path)
	}
	if text == nil {
		var err error
		if text, err = c.newOutputText(a.Task); err != nil {
			return false, err
		}
		if err := runfile.WriteTextSegment(run, text.writer()); err != nil {
			text.abort()
			if errors.Is(err, runfile.ErrCorrupt) {
				return false, &badUpload{err}
			}
			return false, err
		}
	}
	out := text.out
	defer text.abort()
	var ok bool
	done := scheduler.Output{Read: read, Written: size, Counters: counters}
	c.update(func(s *scheduler.Scheduler, now time.Time) { ok = s.Done(a, done, now) })
	if !ok {
		return false, nil
	}
	atomicfile.StartWriteback(out.File, 0, 0) // synced at the job's end: by then on disk
	if err := out.Commit(); err != nil {
		return true, err
	}
	if err := c.keepRun(run, text, a.Task); err != nil {
		return true, err
	}
	c.noteShare(a.Task, text.hash.n)
	rec := commitRecord{Task: a.Task, Attempt: a.N, Worker: a.WorkerID, Read: read, Written: size, Counters: counters,
		TextCRC: text.hash.h.Sum32(), TextSize: text.hash.n, RunCRC: crc}
	if !c.journalCommit(recReduce, rec) {
		return true, errors.New("journal not written")
	}
	c.commitReduce(a.Task)
	return true, nil
}

// outputText is a reduce task's mr-out-Y being written, and the CRC and
// size of its text so far; and for a large output the lengths file that
// makes it a text run for the final merge (receiveRun), nil otherwise.
type outputText struct {
	out  *atomicfile.File
	hash countingHash
	lens *atomicfile.File
}

// abort removes the files not committed.
func (t *outputText) abort() {
	t.out.Abort()
	if t.lens != nil {
		t.lens.Abort()
	}
}

// newOutputText starts task's mr-out-Y, not synced one by one: a sync each
// costs more than a small reduce task; syncOutputs makes them durable at
// the job's end, and a journal checks them by CRC when a coordinator
// starts again.
func (c *Coordinator) newOutputText(task int) (*outputText, error) {
	out, err := c.dirs.create(filepath.Join(c.cfg.OutDir, outputName(task)))
	if err != nil {
		return nil, err
	}
	return &outputText{out: out, hash: countingHash{h: runfile.NewHash()}}, nil
}

// writer writes the text to the file and its hash.
func (t *outputText) writer() io.Writer { return io.MultiWriter(t.out.File, &t.hash) }

// keepsRuns reports whether the job keeps its reduce tasks' runs for the
// final merge: a concatenated job's final output is its mr-out-Y files,
// and it never reads them.
func (c *Coordinator) keepsRuns() bool { return c.final == nil }

// keepRun puts reduce task r's committed run where the final merge reads
// it: a large one is its text, mr-out-Y, with its lengths file committed
// now; a small one in memory while there is room (a job without a
// journal), else in the work directory; a job that keeps none drops it.
func (c *Coordinator) keepRun(run runfile.Segment, text *outputText, r int) error {
	if !c.keepsRuns() {
		return nil
	}
	if c.jr.journal != nil { // the other form may be left of before a restart
		if text.lens != nil {
			os.Remove(committedRunPath(c.dirs.workDir, r))
		} else {
			os.Remove(committedLensPath(c.dirs.workDir, r))
		}
	}
	if text.lens != nil {
		return text.lens.Commit()
	}
	path := committedRunPath(c.dirs.workDir, r)
	if run.Path != "" {
		return os.Rename(run.Path, path)
	}
	if c.jr.journal == nil && c.up.keep(r, run.Data) {
		return nil
	}
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(run.Data); err != nil {
		return err
	}
	return f.Commit()
}

// maxKeptRuns bounds the committed runs a coordinator keeps in memory.
const maxKeptRuns = 256 << 20

// countingHash is a CRC-32C that counts the bytes it hashed.
type countingHash struct {
	h hash.Hash32
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// commitReduce is called once reduce output r is renamed into place: a
// concatenated job appends it to the final output if all before it are
// in; the last one starts the final merge.
func (c *Coordinator) commitReduce(r int) {
	if c.final != nil && c.final.committed(r) {
		c.life.wg.Go(c.final.copyReady)
	}
	if c.up.commit(c.cfg.NReduce) {
		c.life.wg.Go(c.writeFinal)
	}
}

// writeFinal merges the reduce outputs into mr-<app>-all, then ends the job.
func (c *Coordinator) writeFinal() {
	c.mu.Lock()
	app := c.sched.Job().App
	c.mu.Unlock()
	start := time.Now()
	name, err := c.mergeOutputs(app)
	if err == nil {
		err = syncOutputs(c.cfg.OutDir, c.cfg.NReduce)
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.log.Info("final output written", "file", name, "elapsed", time.Since(start).Round(time.Millisecond).String())
	c.mu.Lock()
	c.sched.End("")
	events := c.changedLocked()
	c.life.endLocked()
	c.mu.Unlock()
	c.logEvents(events)
}

// mergeOutputs merges the R reduce outputs, each sorted, into
// mr-<app>-all in the output directory. Keys are unique across outputs.
// Outputs in order already (total order, map-only) are concatenated: the
// committed mr-out-Y files copied one after the other, most of them as
// they were committed (concat.go). The file's write-out to disk starts as
// it is written, so that its fsync at the end waits for little.
func (c *Coordinator) mergeOutputs(app string) (string, error) {
	name := filepath.Join(c.cfg.OutDir, finalName(app))
	if c.final != nil {
		return name, c.final.finish()
	}
	out, err := atomicfile.Create(name)
	if err != nil {
		return "", err
	}
	defer out.Abort()
	if err := c.mergeRuns(atomicfile.WritingBack(out.File), runtime.GOMAXPROCS(0)); err != nil {
		return "", err
	}
	return name, out.Commit()
}

// mergeRuns merges the committed runs, in memory or in the work
// directory, by key into w as text, in up to pieces ranges of keys at
// once (runfile.MergeTextRanges): a large final merge is otherwise the
// one part of a job that runs on one core.
func (c *Coordinator) mergeRuns(w io.WriterAt, pieces int) error {
	segs := make([]runfile.Segment, c.cfg.NReduce)
	for r := range segs {
		segs[r] = runfile.Segment{Path: committedRunPath(c.dirs.workDir, r), Size: -1}
		if data, ok := c.up.keptRun(r); ok {
			segs[r] = runfile.Segment{Data: data, Size: int64(len(data))}
		} else if lens := committedLensPath(c.dirs.workDir, r); fileExists(lens) {
			segs[r] = runfile.Segment{Path: filepath.Join(c.cfg.OutDir, outputName(r)), Size: -1, Lens: lens}
		}
	}
	if err := runfile.MergeTextRanges(segs, w, pieces); err != nil {
		return fmt.Errorf("mr: final merge: %w", err)
	}
	return nil
}

// fileExists reports whether path names a file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// removeStaleOutputs removes from dir the outputs and temp files an
// earlier job left there (jobOutput), except the job's own inputs, and
// logs each one. A journaled job keeps the reduce outputs its journal
// says are intact, and returns them; a job without a journal also
// removes an earlier job's journal.
func removeStaleOutputs(dir string, inputs []string, jr *jobJournal, log *slog.Logger) map[int]bool {
	var intact map[int]bool
	if jr != nil {
		intact = jr.intact(dir)
	} else if _, err := os.Stat(journalPath(dir)); err == nil {
		os.RemoveAll(runsDir(dir))
		os.Remove(journalPath(dir))
		log.Info("earlier job's journal removed", "file", journalPath(dir))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), ".mr-tmp-") {
			os.RemoveAll(path) // a killed coordinator's outputs being written
			continue
		}
		if !e.Type().IsRegular() || !jobOutput.MatchString(e.Name()) || isInput(path, inputs) {
			continue
		}
		if r, ok := outputIndex(e.Name()); ok && intact[r] {
			continue
		}
		if err := os.Remove(path); err != nil {
			log.Warn("earlier job's output not removed", "file", path, "err", err)
			continue
		}
		log.Info("earlier job's output removed", "file", path)
	}
	return intact
}

// isInput reports whether path is the same file as one of the inputs.
func isInput(path string, inputs []string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return true
		}
	}
	return false
}

// writeSummary writes the summary as outDir/mr-<app>-summary.json.
func writeSummary(outDir string, sum protocol.Summary) (string, error) {
	app := sum.App
	if app == "" {
		app = "job" // no worker ever joined
	}
	name := filepath.Join(outDir, summaryName(app))
	f, err := atomicfile.Create(name)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	w := bufio.NewWriterSize(f, 64<<10)
	if err := encodeSummary(w, sum); err != nil {
		return "", fmt.Errorf("mr: writing %s: %w", name, err)
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("mr: writing %s: %w", name, err)
	}
	return name, f.Commit()
}

// encodeSummary writes sum as indented JSON, byte for byte what a
// json.Encoder with SetIndent("", "  ") writes, but one task at a time:
// the summary of a 200,000-task job is tens of MB, and encoding it whole
// would leave a buffer that large in encoding/json's pool.
func encodeSummary(w io.Writer, sum protocol.Summary) error {
	tasks := sum.Tasks
	sum.Tasks = nil
	head, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	const hole = `"tasks": null`
	i := bytes.Index(head, []byte(hole))
	if i < 0 {
		return errors.New("no place for the tasks in the summary")
	}
	if len(tasks) == 0 {
		if tasks != nil {
			head = slices.Concat(head[:i], []byte(`"tasks": []`), head[i+len(hole):])
		}
		_, err = w.Write(append(head, '\n'))
		return err
	}
	if _, err := io.WriteString(w, string(head[:i])+`"tasks": [`); err != nil {
		return err
	}
	for k := range tasks {
		b, err := json.MarshalIndent(&tasks[k], "    ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n    "
		if k == 0 {
			sep = "\n    "
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "\n  ]"+string(head[i+len(hole):])+"\n")
	return err
}

// countersAttr is c as one log attribute: counters.map_input_bytes=...,
// counters.user.NAME=... for the app's, in name order.
func countersAttr(c *protocol.Counters) slog.Attr {
	var attrs []any
	for _, e := range c.Engine() {
		attrs = append(attrs, slog.Int64(e.Key, e.Value))
	}
	if len(c.User) > 0 {
		var user []any
		for _, name := range slices.Sorted(maps.Keys(c.User)) {
			user = append(user, slog.Int64(name, c.User[name]))
		}
		attrs = append(attrs, slog.Group("user", user...))
	}
	return slog.Group("counters", attrs...)
}

// syncOutputs makes mr-out-0 .. mr-out-(n-1) and their directory durable:
// many fsyncs at once, which a file system folds into few commits.
func syncOutputs(dir string, n int) error {
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for r := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- syncFile(filepath.Join(dir, outputName(r)))
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = fmt.Errorf("mr: syncing the outputs: %w", err)
		}
	}
	if first != nil {
		return first
	}
	return syncFile(dir)
}

// syncFile fsyncs a file or a directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
