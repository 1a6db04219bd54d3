package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
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
	reply := w.reportMap(ctx, args)
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
	task := &executor.Task{Kind: protocol.MapTask, Name: a.String(), NReduce: t.NReduce,
		Inputs: []executor.Input{{Name: t.Split.File, Length: t.Split.Length}}, SplitPath: split,
		Out: runPath(w.dir, t.Task, t.Attempt), Spill: spillPrefix(w.dir, t.Task, t.Attempt), MapBuffer: w.cfg.MapBuffer}
	res := w.exec.Run(ctx, task, func(n int64) { emitted = n; w.progress.mapEmitted(t.Split.Length, n) })
	w.takeCounters(&res, cnt, a)
	if err := resultError(&res); err != nil {
		return 0, err
	}
	w.progress.mapDone(t.Split.Length, emitted)
	return res.Written, nil
}

// resultError turns a failed result into an error: an
// *executor.AppError if the app was at fault.
func resultError(r *executor.Result) error {
	switch {
	case r.Err == "":
		return nil
	case r.App:
		return &executor.AppError{Msg: r.Err}
	}
	return errors.New(r.Err)
}

// fetchSplit reads the attempt's split from the coordinator into path.
func (w *Worker) fetchSplit(ctx context.Context, a protocol.Attempt, sp protocol.Split, path string) error {
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(sp.Length))
	defer cancel()
	out, err := atomicfile.CreateScratch(path)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := w.coord.Split(ctx, a, sp, out); err != nil {
		return fmt.Errorf("mr: reading split of %s: %w", sp.File, err)
	}
	return out.Commit()
}

// transferTimeout bounds one HTTP transfer of n bytes: FetchTimeout plus
// 1 s per MiB.
func (w *Worker) transferTimeout(n int64) time.Duration {
	return w.cfg.FetchTimeout + time.Duration(n>>20)*time.Second
}
