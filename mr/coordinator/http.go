// http.go: the coordinator's HTTP routes, and POST /reduce, where
// reduce attempts upload their outputs.

package coordinator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
	"mapreduce/mr/scheduler"
)

func (c *Coordinator) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc(protocol.PathRPC, c.handleRPC)
	m.HandleFunc("GET "+protocol.PathSplit, c.handleSplit)
	m.HandleFunc("POST "+protocol.PathReduce, c.handleReduce)
	m.HandleFunc("GET "+protocol.PathStatus, c.handleStatus)
	m.HandleFunc("GET "+protocol.PathPage+"{$}", c.handlePage)
	return m
}

// running reports whether the attempt named is still running.
func (c *Coordinator) running(a protocol.Attempt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	running, _ := c.sched.Attempt(a)
	return running
}

// readsPart reports whether a names a running map attempt's part: a
// task its task absorbed, whose input it may read (scheduler.PartRunning).
func (c *Coordinator) readsPart(a protocol.Attempt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sched.PartRunning(a)
}

// transferDeadline bounds one transfer of n bytes on the serving side: a
// minute plus 1 s per MiB.
func transferDeadline(n int64) time.Duration {
	return time.Minute + time.Duration(n>>20)*time.Second
}

// handleReduce receives a reduce attempt's output. The first complete,
// verified upload of a running attempt commits mr-out-Y; the winner's
// upload sent again is answered 200 and changes nothing; others are
// refused with 409 and change nothing.
func (c *Coordinator) handleReduce(w http.ResponseWriter, r *http.Request) {
	if !c.beginUpload() {
		http.Error(w, "coordinator stopping", http.StatusServiceUnavailable)
		return
	}
	defer c.up.inflight.Done()
	a, err := wire.ParseAttempt(r, protocol.ReduceTask)
	crc, err2 := strconv.ParseUint(r.Header.Get(protocol.HeaderCRC), 10, 32)
	read, _ := strconv.ParseInt(r.Header.Get(protocol.HeaderRead), 10, 64)
	counters, err3 := protocol.ParseCounters(r.Header.Get(protocol.HeaderCounters))
	if err != nil || err2 != nil || err3 != nil || r.ContentLength < 0 {
		refuse(w, "bad upload: want ?worker&task&attempt, "+protocol.HeaderCRC+", Content-Length and valid "+protocol.HeaderCounters, http.StatusBadRequest)
		return
	}
	if err := c.authorize(r, a.WorkerID); err != nil {
		c.unauthorized(w, r, err)
		return
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(transferDeadline(r.ContentLength)))
	if !c.running(a) {
		c.refuseUpload(w, r, a)
		return
	}
	var run runfile.Segment
	var text *outputText
	if r.ContentLength > c.cfg.MaxUpload {
		err = &badUpload{fmt.Errorf("%d bytes exceed the limit of %d (mrcoordinator -max-upload)", r.ContentLength, c.cfg.MaxUpload)}
	} else {
		run, text, err = c.receiveRun(r.Body, r.ContentLength, uint32(crc), a)
	}
	switch outcome, why := c.settleUpload(run, text, err, r.ContentLength, uint32(crc), read, &counters, a); outcome {
	case uploadRejected:
		http.Error(w, protocol.Truncate(why, protocol.MaxErrText), http.StatusBadRequest)
	case uploadFailed:
		http.Error(w, "coordinator cannot write output", http.StatusInternalServerError)
	case uploadStale:
		http.Error(w, "stale attempt", http.StatusConflict)
	}
}

// uploadOutcome is what became of a reduce attempt's output.
type uploadOutcome int

const (
	uploadCommitted uploadOutcome = iota // it is mr-out-Y now
	uploadRepeated                       // the winner's, sent again: nothing written
	uploadStale                          // its attempt is not running: dropped
	uploadRejected                       // it failed verification: its attempt fails
	uploadFailed                         // the coordinator could not write it: the job fails
)

// settleUpload commits a reduce output received intact (err: why it was
// not), with its text if already written (else nil), and records and logs
// whatever else became of it: how POST /reduce and ReportReduce end
// alike. A rejection comes with its reason.
func (c *Coordinator) settleUpload(run runfile.Segment, text *outputText, err error, size int64, crc uint32, read int64,
	counters *protocol.Counters, a protocol.Attempt) (uploadOutcome, string) {
	ok := false
	if err == nil {
		ok, err = c.commitRun(run, text, size, crc, read, counters, a)
	}
	var bad *badUpload
	switch {
	case errors.As(err, &bad):
		c.log.Warn("reduce upload rejected", "attempt", a.String(), "worker", a.WorkerID, "err", bad.err)
		c.update(func(s *scheduler.Scheduler, now time.Time) {
			s.Failed(a, protocol.FailWorker, "upload rejected: "+bad.err.Error(), now)
		})
		return uploadRejected, bad.err.Error()
	case err != nil:
		c.fail(fmt.Errorf("mr: coordinator cannot write the output of %s: %w", a, err))
		return uploadFailed, ""
	case ok:
		return uploadCommitted, ""
	case c.won(a):
		c.log.Info("upload repeated", "attempt", a.String(), "worker", a.WorkerID)
		return uploadRepeated, ""
	}
	return uploadStale, ""
}

// refuseUpload answers an upload of an attempt that is not running: 200
// if it is the winner's, sent again because the first answer was lost
// (its body is read and dropped, nothing is written), else 409.
func (c *Coordinator) refuseUpload(w http.ResponseWriter, r *http.Request, a protocol.Attempt) {
	if !c.won(a) {
		c.log.Info("stale report ignored", "attempt", a.String(), "worker", a.WorkerID)
		http.Error(w, "no such running reduce attempt", http.StatusConflict)
		return
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, min(r.ContentLength, c.cfg.MaxUpload)))
	c.log.Info("upload repeated", "attempt", a.String(), "worker", a.WorkerID)
}

// won reports whether the attempt named is its task's committed one.
func (c *Coordinator) won(a protocol.Attempt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, won := c.sched.Attempt(a)
	return won
}

// badUpload is an upload that fails verification: its uploader's failure,
// never the job's.
type badUpload struct{ err error }

func (e *badUpload) Error() string { return "mr: bad upload: " + e.err.Error() }

// receiveRun checks an upload of size bytes (its length, its CRC and its
// structure), and writes it as text to mr-out-Y's temp file as it
// arrives: by the last byte the output is written, so the reducer's wait
// for its commit is hardly longer than the transfer. For the final merge,
// unless the job needs none (keepsRuns), a small run is kept in memory,
// and a large one as its text: the lengths of its records are written to
// a file of the work directory (a text run, runfile.NewTextReader), not
// the run again. Errors of the body or of the run are *badUpload; others
// are the coordinator's own.
func (c *Coordinator) receiveRun(body io.Reader, size int64, want uint32, a protocol.Attempt) (runfile.Segment, *outputText, error) {
	text, err := c.newOutputText(a.Task)
	if err != nil {
		return runfile.Segment{}, nil, err
	}
	h := runfile.NewHash()
	var store io.Writer = h
	var sp *runfile.Spill
	var lens *runfile.LensWriter
	switch {
	case !c.keepsRuns():
	case size > inlineUpload:
		if text.lens, err = atomicfile.CreateScratch(committedLensPath(c.dirs.workDir, a.Task)); err != nil {
			text.abort()
			return runfile.Segment{}, nil, err
		}
		lens = runfile.NewLensWriter(text.lens.File)
	default:
		sp = runfile.NewSpill(filepath.Join(c.dirs.workDir, uploadName(a, c.up.seq.Add(1))), inlineUpload)
		defer sp.Abort()
		store = io.MultiWriter(sp, h)
	}
	src := io.TeeReader(io.LimitReader(bodyErrors{body}, size), ownWrites{store})
	err = runfile.WriteTextStream(src, size, text.writer(), lens)
	if err == nil && lens != nil {
		if err = lens.Finish(text.hash.h.Sum32()); err != nil {
			err = &ownWrite{err}
		}
	}
	var own *ownWrite
	var bad *badUpload
	switch {
	case errors.As(err, &own): // the coordinator's copy of the run could not be written
		err = own.err
	case errors.As(err, &bad): // the body: the Reader's error wraps it
	case errors.Is(err, runfile.ErrCorrupt):
		err = &badUpload{err}
	case err != nil: // writing the text
	case h.Sum32() != want:
		err = &badUpload{fmt.Errorf("%d bytes with crc %08x announced, got crc %08x", size, want, h.Sum32())}
	}
	if err != nil {
		text.abort()
		return runfile.Segment{}, nil, err
	}
	if sp == nil {
		return runfile.Segment{Size: size}, text, nil
	}
	seg, err := sp.Commit()
	if err != nil {
		text.abort()
		return runfile.Segment{}, nil, err
	}
	seg.Size = size
	return seg, text, nil
}

// ownWrites marks the errors of writing to w, the coordinator's own
// files, so that a failure to store an upload, seen by its reader as a
// failure to read, is never taken for the uploader's.
type ownWrites struct{ w io.Writer }

func (o ownWrites) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		err = &ownWrite{err}
	}
	return n, err
}

// ownWrite is a failure to write the coordinator's own files.
type ownWrite struct{ err error }

func (e *ownWrite) Error() string { return e.err.Error() }

// inlineUpload is the largest upload received in memory rather than in a
// file: a job of many reduce tasks makes many small ones.
const inlineUpload = 1 << 20

// bodyErrors marks errors reading a request body as the uploader's.
type bodyErrors struct{ r io.Reader }

func (b bodyErrors) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &badUpload{err}
	}
	return n, err
}

// writeError is a failure to send to a peer: the peer's trouble, not the
// coordinator's.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// markWrites marks the errors of writing to w as writeErrors.
type markWrites struct{ w io.Writer }

func (m markWrites) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}
