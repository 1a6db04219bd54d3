package mr

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The coordinator's HTTP side: workers read input splits from it and
// upload reduce outputs to it; anyone may read /status.

const (
	hdrCRC  = "X-Mr-Crc32c" // CRC-32C of an uploaded body, decimal
	hdrRead = "X-Mr-Read"   // bytes the reducer fetched, for the summary
)

func (c *Coordinator) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc(rpcPath, c.handleRPC)
	m.HandleFunc("GET /split", c.handleSplit)
	m.HandleFunc("POST /reduce", c.handleReduce)
	m.HandleFunc("GET /status", c.handleStatus)
	return m
}

// attemptQuery names an attempt in a URL: ?worker=w1&task=3&attempt=2.
type attemptQuery struct {
	worker        string
	task, attempt int
}

func parseAttempt(r *http.Request) (attemptQuery, error) {
	q := r.URL.Query()
	task, err1 := strconv.Atoi(q.Get("task"))
	attempt, err2 := strconv.Atoi(q.Get("attempt"))
	if err1 != nil || err2 != nil || q.Get("worker") == "" {
		return attemptQuery{}, fmt.Errorf("want ?worker=ID&task=N&attempt=N")
	}
	return attemptQuery{q.Get("worker"), task, attempt}, nil
}

// running reports whether the attempt named is still running.
func (c *Coordinator) running(kind TaskKind, q attemptQuery) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sched.running(q.worker, kind, q.task, q.attempt) != nil
}

// handleSplit sends a running map attempt its split of the input.
func (c *Coordinator) handleSplit(w http.ResponseWriter, r *http.Request) {
	q, err := parseAttempt(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !c.running(MapTask, q) {
		http.Error(w, "no such running map attempt", http.StatusConflict)
		return
	}
	sp := c.splits[q.task]
	f, err := os.Open(sp.File)
	if err != nil {
		c.log.Error("input unreadable", "file", sp.File, "err", err)
		http.Error(w, "input unreadable", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(transferDeadline(sp.Length)))
	w.Header().Set("Content-Length", strconv.FormatInt(sp.Length, 10))
	io.Copy(w, io.NewSectionReader(f, sp.Offset, sp.Length))
}

// transferDeadline bounds one transfer of n bytes: a minute plus 1 MB/s.
func transferDeadline(n int64) time.Duration {
	return time.Minute + time.Duration(n/(1<<20))*time.Second
}

// handleReduce receives a reduce attempt's output. The first complete,
// verified upload of a running attempt commits mr-out-Y; others are
// refused with 409 and change nothing.
func (c *Coordinator) handleReduce(w http.ResponseWriter, r *http.Request) {
	q, err := parseAttempt(r)
	crc, err2 := strconv.ParseUint(r.Header.Get(hdrCRC), 10, 32)
	read, _ := strconv.ParseInt(r.Header.Get(hdrRead), 10, 64)
	if err != nil || err2 != nil || r.ContentLength < 0 || r.ContentLength > c.cfg.MaxUpload {
		http.Error(w, "bad upload: want ?worker&task&attempt, "+hdrCRC+" and Content-Length", http.StatusBadRequest)
		return
	}
	if !c.running(ReduceTask, q) {
		c.log.Info("stale report ignored", "attempt", attemptName(ReduceTask, q.task, q.attempt), "worker", q.worker)
		http.Error(w, "no such running reduce attempt", http.StatusConflict)
		return
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(transferDeadline(r.ContentLength)))
	run, err := c.receiveRun(r.Body, r.ContentLength, uint32(crc), q)
	if err != nil {
		c.log.Warn("reduce upload rejected", "attempt", attemptName(ReduceTask, q.task, q.attempt), "worker", q.worker, "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ok, err := c.commitRun(run, r.ContentLength, read, q)
	switch {
	case err != nil:
		c.fail(err)
		http.Error(w, "coordinator cannot write output", http.StatusInternalServerError)
	case !ok:
		http.Error(w, "stale attempt", http.StatusConflict)
	}
}

func attemptName(kind TaskKind, task, n int) string {
	return fmt.Sprintf("%s-%d.a%d", kind, task, n)
}

// receiveRun stores an upload of size bytes in the work directory and
// checks its length and CRC.
func (c *Coordinator) receiveRun(body io.Reader, size int64, want uint32, q attemptQuery) (string, error) {
	f, err := os.CreateTemp(c.workDir, fmt.Sprintf("upload-%d.a%d.*", q.task, q.attempt))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, size))
	if err == nil && (n != size || h.Sum32() != want) {
		err = fmt.Errorf("upload of %d bytes, crc %08x: got %d bytes, crc %08x", size, want, n, h.Sum32())
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// commitRun turns a verified upload into mr-out-Y if the scheduler accepts
// the attempt as the task's winner.
func (c *Coordinator) commitRun(run string, size, read int64, q attemptQuery) (bool, error) {
	defer os.Remove(run)
	out, err := createAtomic(filepath.Join(c.cfg.OutDir, fmt.Sprintf("mr-out-%d", q.task)))
	if err != nil {
		return false, err
	}
	defer out.Abort()
	if err := runToText(run, size, out.File); err != nil {
		return false, err
	}
	var ok bool
	c.update(func(s *scheduler, now time.Time) { ok = s.reduceDone(q.worker, q.task, q.attempt, read, size, now) })
	if !ok {
		return false, nil
	}
	if err := out.Commit(); err != nil {
		return true, err
	}
	if err := os.Rename(run, reduceRunPath(c.workDir, q.task)); err != nil {
		return true, err
	}
	c.commitReduce()
	return true, nil
}

// reduceRunPath is where the coordinator keeps reduce task r's committed
// output in run format, for the final merge.
func reduceRunPath(workDir string, r int) string {
	return filepath.Join(workDir, fmt.Sprintf("reduce-%d.run", r))
}

// runToText writes the records of the run file at path as the text lines
// "key value\n", the format of mr-out-* and mrsequential.
func runToText(path string, size int64, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rr := newRunReader(f, size)
	bw := bufio.NewWriterSize(w, 64<<10)
	for rr.Next() {
		writeLine(bw, rr.Key(), rr.Value())
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

func writeLine(w *bufio.Writer, key, value []byte) {
	w.Write(key)
	w.WriteByte(' ')
	w.Write(value)
	w.WriteByte('\n')
}

// mergeOutputs merges the R reduce outputs, each sorted, into
// outDir/mr-<app>-all. Keys are unique across outputs.
func mergeOutputs(workDir, outDir, app string, nReduce int) (string, error) {
	name := filepath.Join(outDir, "mr-"+app+"-all")
	out, err := createAtomic(name)
	if err != nil {
		return "", err
	}
	defer out.Abort()
	paths := make([]string, nReduce)
	for r := range paths {
		paths[r] = reduceRunPath(workDir, r)
	}
	runs, closeAll, err := openRuns(paths)
	if err != nil {
		return "", fmt.Errorf("mr: final merge: %w", err)
	}
	defer closeAll()
	bw := bufio.NewWriterSize(out, 256<<10)
	m := newMerger(runs)
	for m.Next() {
		writeLine(bw, m.Key(), m.Value())
	}
	if err := m.Err(); err != nil {
		return "", fmt.Errorf("mr: final merge: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	return name, out.Commit()
}

// handleStatus reports the job's progress as JSON.
func (c *Coordinator) handleStatus(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	p := c.sched.progress()
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Progress
		Phase string
	}{p, p.Phase.String()})
}
