// maptask.go: a map attempt, from its input to its sections file and
// its report.

package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// runMap runs one map attempt and reports it: the executor reads the
// split (from the coordinator itself, or from a file the worker filled),
// runs Map over it and writes one run per reduce task. Its output is
// served from the moment it is reported: a reducer asks for it only once
// the coordinator says it won, possibly before this worker has the
// answer, and a refused one is deleted (one whose report was cut short is
// offered back at the next registration).
func (w *Worker) runMap(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	a := w.attemptOf(protocol.MapTask, t)
	start := time.Now()
	size := inputSize(t.Inputs)
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "input", describe(t.Inputs), "bytes", size)
	w.progress.start(a)
	defer w.progress.stop()
	var cnt protocol.Counters
	written, read, parts, err := w.mapAll(ctx, a, t, &cnt)
	if err != nil {
		removeAttemptFiles(w.dir, a)
		if !errors.Is(err, errNotRunning) {
			w.reportFailure(ctx, a, err)
		}
		return nil
	}
	if ctx.Err() != nil {
		return nil // we were stopped: a dead worker reports nothing
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", read,
		"written", cnt.MapOutputBytes, "elapsed", time.Since(start).Round(time.Millisecond).String())
	args := &protocol.ReportMapArgs{Attempt: a, NReduce: t.NReduce, Parts: parts, Written: written, Read: read, Counters: cnt}
	key := runKey{t.Task, t.Attempt}
	w.outs.add(key)
	reply := w.reportMap(ctx, args)
	if !reply.Accepted && ctx.Err() != nil {
		// Stopped mid-report, as when the coordinator forgot us (it
		// restarted): this decides nothing. The output stays served, and
		// registering again offers it back: a journaled job that recorded
		// the commit takes it, and otherwise it is deleted then.
		return nil
	}
	if !reply.Accepted {
		w.outs.remove(key)
		removeAttemptFiles(w.dir, a)
		return nil
	}
	return reply.Next
}

// errNotRunning: the coordinator says the attempt no longer runs (it
// answered ExtendMap so); there is nothing to report.
var errNotRunning = errors.New("mr: the attempt no longer runs")

// mapAll maps the attempt's input and, when the assignment says Extend,
// every part the coordinator then hands it (the tasks its task absorbed:
// scheduler/absorb.go), all into one output kept open in the executor,
// finished once they are mapped. It returns the output's size, the
// input bytes read and the parts mapped.
func (w *Worker) mapAll(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, cnt *protocol.Counters) (written, read int64, parts int, err error) {
	read = inputSize(t.Inputs)
	if !t.Extend {
		written, err := w.doMap(ctx, a, t, cnt, keep{})
		return written, read, 0, err
	}
	group := a.String()
	opened := false
	defer func() {
		if opened && ctx.Err() == nil { // not finished: the executor drops it, and its spills
			w.exec.Run(ctx, &executor.Task{Kind: protocol.MapTask, Name: group, Group: group, Drop: true}, func(int64) {})
		}
	}()
	if _, err := w.doMap(ctx, a, t, cnt, keep{open: true}); err != nil {
		return 0, 0, 0, err
	}
	opened = true
	for {
		part, err := w.extendMap(ctx, a, t, parts)
		if err != nil {
			return 0, 0, 0, err
		}
		if part == nil {
			break
		}
		pa := protocol.Attempt{WorkerID: a.WorkerID, Kind: protocol.MapTask, Task: part.Task, N: a.N}
		w.log.Info("part started", "attempt", a.String(), "part", protocol.TaskName(protocol.MapTask, part.Task),
			"input", describe(part.Inputs), "bytes", inputSize(part.Inputs))
		w.progress.nextPart(read, inputSize(part.Inputs))
		if _, err := w.doMap(ctx, pa, part, cnt, keep{group: group}); err != nil {
			return 0, 0, 0, &partError{part: parts + 1, err: err}
		}
		read += inputSize(part.Inputs)
		parts++
	}
	model := w.shape() // Combine, called as the output is finished, may read the job's parameters
	task := &executor.Task{Kind: protocol.MapTask, Name: group, NReduce: t.NReduce, Group: group, Params: model.params,
		Cuts: model.cuts, Seed: model.seed, Out: runPath(w.dir, t.Task, t.Attempt), HeapLimit: w.heapLimit.Load()}
	res := w.exec.Run(ctx, task, func(int64) {})
	opened = false
	w.takeCounters(&res, cnt, a)
	if err := resultError(&res); err != nil {
		return 0, 0, 0, &partError{part: -1, err: err}
	}
	return res.Written, read, parts, nil
}

// extendMap asks the coordinator for the next part of attempt a, whose
// assignment was t, which has mapped mapped parts: nil when there is none
// (a finishes its output). An attempt that no longer runs is
// errNotRunning; a part that does not fit the attempt is an error.
func (w *Worker) extendMap(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, mapped int) (*protocol.GetTaskReply, error) {
	var reply *protocol.ExtendMapReply
	err := w.retry(ctx, func() (err error) {
		reply, err = w.coord.ExtendMap(&protocol.ExtendMapArgs{Attempt: a, Mapped: mapped})
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !reply.OK:
		return nil, errNotRunning
	case reply.Part == nil:
		return nil, nil
	}
	p := reply.Part
	if p.Action != protocol.ActMap || p.Attempt != a.N || p.NMap != t.NMap || p.NReduce != t.NReduce || p.Task == a.Task || p.Extend {
		return nil, fmt.Errorf("mr: bad part of %s: %s of task %d, attempt %d", a, p.Action, p.Task, p.Attempt)
	}
	if err := checkAssignment(p); err != nil {
		return nil, err
	}
	return p, nil
}

// partError is a map attempt's failure in part part of its input (1:
// the first task its task absorbed; -1: finishing the output), which the
// failure's report names (ReportFailureArgs.Part).
type partError struct {
	part int
	err  error
}

func (e *partError) Error() string { return e.err.Error() }
func (e *partError) Unwrap() error { return e.err }

// failedPart is the part err names, 0 if none.
func failedPart(err error) int {
	var pe *partError
	if errors.As(err, &pe) {
		return pe.part
	}
	return 0
}

// keep is how a map Task uses the executor's open output: open starts
// one and leaves it open; group adds to the one of that name and leaves
// it open; neither is a map task of its own, finished at once.
type keep struct {
	open  bool
	group string
}

// doMap points the executor at the split and has it map it, counting
// into cnt.
// It returns the size of the output, one sections file (0 for a kept one).
func (w *Worker) doMap(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, cnt *protocol.Counters, k keep) (int64, error) {
	split := splitPath(w.dir, t.Task, t.Attempt)
	defer removeFile(split)
	size := inputSize(t.Inputs)
	var emitted int64
	model := w.shape()
	task := &executor.Task{Kind: protocol.MapTask, Name: a.String(), NReduce: t.NReduce, Params: model.params, Cuts: model.cuts,
		Seed: model.seed, Inputs: executorInputs(t.Inputs),
		Out: runPath(w.dir, t.Task, t.Attempt), Spill: spillPrefix(w.dir, t.Task, t.Attempt), MapBuffer: w.cfg.MapBuffer,
		HeapLimit: w.heapLimit.Load(), Keep: k.open || k.group != "", Group: k.group}
	var part protocol.Counters
	res, err := w.runSplit(ctx, a, t, task, split, &part, func(n int64) { emitted = n; w.progress.mapEmitted(size, n) })
	cnt.Add(&part)
	if err != nil {
		return 0, err
	}
	if err := resultError(&res); err != nil {
		return 0, err
	}
	w.progress.mapDone(size, emitted)
	return res.Written, nil
}

// runSplit has the executor run a map task on the attempt's split, read
// as splitTask says, and counts into cnt where its bytes came from and
// what the executor counted. A copy of ours that could not be used (and
// nothing was mapped) is dropped, and the split read again, once, without
// the executor reading copies: from the coordinator, or piece by piece by
// the worker, so that a copy relisted under the same name, or another
// that fails, then costs only its piece.
func (w *Worker) runSplit(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, task *executor.Task, split string,
	cnt *protocol.Counters, progress func(int64)) (executor.Result, error) {
	src, err := w.splitTask(ctx, a, t, task, split, true)
	if err != nil {
		return executor.Result{}, err
	}
	w.progress.set(0.1)
	defer w.streamTask(task, a)()
	res := w.exec.Run(ctx, task, progress)
	if f := res.Copy; f != nil && f.Piece >= 0 && f.Piece < len(task.Copies) && ctx.Err() == nil {
		w.dropCopy(ctx, t.Sources[f.Piece].Name, copyFailure(f), f.Differs)
		if src, err = w.splitTask(ctx, a, t, task, split, false); err != nil {
			return executor.Result{}, err
		}
		res = w.exec.Run(ctx, task, progress)
	}
	src.count(cnt)
	w.takeCounters(&res, cnt, a)
	return res, nil
}

// copyFailure is why a copy of ours could not be used, as the executor
// said.
func copyFailure(f *executor.CopyFailure) error {
	if f.Differs {
		return fmt.Errorf("%w: its %s", errCopyDiffers, f.Cause)
	}
	return errors.New(f.Cause)
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

// inputSize is the bytes of a map task's input.
func inputSize(in []protocol.Split) int64 {
	var n int64
	for _, p := range in {
		n += p.Length
	}
	return n
}

// describe names a map task's input in logs: "a.txt", or "a.txt (+9 files)".
func describe(in []protocol.Split) string {
	if len(in) == 1 {
		return in[0].File
	}
	return fmt.Sprintf("%s (+%d files)", in[0].File, len(in)-1)
}

// executorInputs are a map task's inputs as the executor calls Map on them.
func executorInputs(in []protocol.Split) []executor.Input {
	out := make([]executor.Input, len(in))
	for i, p := range in {
		out[i] = executor.Input{Name: p.File, Length: p.Length}
	}
	return out
}

// transferTimeout bounds one HTTP transfer of n bytes: FetchTimeout plus
// 1 s per MiB.
func (w *Worker) transferTimeout(n int64) time.Duration {
	return w.cfg.FetchTimeout + time.Duration(n>>20)*time.Second
}
