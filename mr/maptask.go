package mr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
)

// runMap runs one map attempt and reports it: the worker reads the split
// into a file, the executor runs Map over it and writes one run per reduce
// task. The run files are served only once the coordinator has accepted
// the report.
func (w *Worker) runMap(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	a := w.attemptOf(protocol.MapTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "input", t.Split.File, "bytes", t.Split.Length)
	w.progress.start(a)
	defer w.progress.stop()
	var cnt protocol.Counters
	written, err := w.doMap(ctx, a, t, &cnt)
	if err != nil {
		removeAttemptFiles(w.dir, a)
		w.reportFailure(ctx, a, err)
		return nil
	}
	if ctx.Err() != nil {
		return nil // we were stopped: a dead worker reports nothing
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", t.Split.Length,
		"written", cnt.MapOutputBytes, "elapsed", time.Since(start).Round(time.Millisecond).String())
	args := &protocol.ReportMapArgs{Attempt: a, NReduce: t.NReduce, Written: written, Read: t.Split.Length, Counters: cnt}
	reply := w.reportNext(ctx, "ReportMap", args, a)
	if !reply.Accepted {
		removeAttemptFiles(w.dir, a)
		return nil
	}
	w.mu.Lock()
	w.served[runKey{t.Task, t.Attempt}] = true
	w.mu.Unlock()
	return reply.Next
}

// doMap reads the split and has the executor map it, counting into cnt.
// It returns the size of the output, one sections file.
func (w *Worker) doMap(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, cnt *protocol.Counters) (int64, error) {
	split := splitPath(w.dir, t.Task, t.Attempt)
	defer removeFile(split)
	if err := w.fetchSplit(ctx, a, t.Split, split); err != nil {
		return 0, err
	}
	w.progress.set(0.1)
	var emitted int64
	res := w.exec.run(ctx, &execTask{Kind: protocol.MapTask, Name: a.String(), Dir: w.dir, Task: t.Task, N: t.Attempt,
		NReduce: t.NReduce, Input: t.Split.File, SplitPath: split, MapBuffer: w.cfg.MapBuffer},
		func(n int64) { emitted = n; w.progress.mapEmitted(t.Split.Length, n) })
	w.takeCounters(&res, cnt, a)
	if err := res.error(); err != nil {
		return 0, err
	}
	w.progress.mapDone(t.Split.Length, emitted)
	return res.Written, nil
}

// error turns a failed result into an error: an *appError if the app was
// at fault.
func (r *execResult) error() error {
	switch {
	case r.Err == "":
		return nil
	case r.App:
		return &appError{r.Err}
	}
	return errors.New(r.Err)
}

// fetchSplit reads the attempt's split from the coordinator into path.
func (w *Worker) fetchSplit(ctx context.Context, a protocol.Attempt, sp protocol.Split, path string) error {
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(sp.Length))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, protocol.SplitURL(w.cfg.Coordinator, a), nil)
	if err != nil {
		return err
	}
	w.signAsWorker(req)
	resp, err := w.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("mr: reading split of %s: %w", sp.File, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mr: reading split of %s: %s", sp.File, resp.Status)
	}
	out, err := atomicfile.CreateScratch(path)
	if err != nil {
		return err
	}
	defer out.Abort()
	n, err := io.Copy(out, io.LimitReader(resp.Body, sp.Length+1))
	if err == nil && n != sp.Length {
		err = fmt.Errorf("got %d bytes, want %d", n, sp.Length)
	}
	if err != nil {
		return fmt.Errorf("mr: reading split of %s: %w", sp.File, err)
	}
	return out.Commit()
}

// transferTimeout bounds one HTTP transfer of n bytes: FetchTimeout plus
// 1 s per MiB.
func (w *Worker) transferTimeout(n int64) time.Duration {
	return w.cfg.FetchTimeout + time.Duration(n>>20)*time.Second
}
