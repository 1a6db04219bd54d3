// A job's shape as its coordinator says at registration: its parameters,
// total order's cut points, map-only; and the map-only attempt, which
// maps a split and uploads its records as a reduce attempt uploads its
// output.

package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/executor"
)

// jobModel is the job's shape, fixed at registration.
type jobModel struct {
	nReduce int // the job's reduce tasks
	params  map[string]string
	cuts    []string
	mapOnly bool
	stream  *protocol.Stream // a streaming job's commands; nil for a plugin job
	seed    uint64           // the job's seed of the keys' hash, for their default partitions
}

// checkModel checks the shape a registration reply gives the job.
func checkModel(reply *protocol.RegisterReply) (jobModel, error) {
	m := jobModel{nReduce: reply.NReduce, params: reply.Params, cuts: reply.Cuts, mapOnly: reply.MapOnly, stream: reply.Stream,
		seed: reply.PartitionSeed}
	if reply.Partitioning != protocol.Partitioning {
		return m, fmt.Errorf("mr: the coordinator partitions keys as another build does (partitioning %d, this worker's %d): "+
			"run the coordinator and the workers of one build", reply.Partitioning, protocol.Partitioning)
	}
	if err := protocol.CheckParams(m.params); err != nil {
		return m, fmt.Errorf("mr: bad registration: %w", err)
	}
	if m.cuts != nil {
		if err := protocol.CheckCuts(m.cuts, reply.NReduce); err != nil || m.mapOnly {
			return m, fmt.Errorf("mr: bad registration: cut points: %v", cmp.Or(err, errors.New("in a map-only job")))
		}
	}
	return m, nil
}

// shape is the job's shape.
func (w *Worker) shape() jobModel {
	w.sess.mu.Lock()
	defer w.sess.mu.Unlock()
	return w.sess.model
}

// runMapOnly runs one attempt of a map-only job: it reads split X into a
// file, has the executor call Map over it writing the records in the
// order emitted, and uploads them as a reduce attempt uploads its output
// (in its report if small).
func (w *Worker) runMapOnly(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	a := w.attemptOf(protocol.ReduceTask, t)
	if err := checkInputs(t.Inputs); err != nil {
		w.reportFailure(ctx, a, err)
		return nil
	}
	start := time.Now()
	size := inputSize(t.Inputs)
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "input", describe(t.Inputs), "bytes", size, "map_only", true)
	w.progress.start(a)
	defer w.progress.stop()
	dir := reduceDir(w.dir, a)
	defer os.RemoveAll(dir)
	var cnt protocol.Counters
	out, err := w.mapOnly(ctx, a, t, dir, &cnt)
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		w.reportFailure(ctx, a, err)
		return nil
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", size,
		"written", out.Size, "elapsed", time.Since(start).Round(time.Millisecond).String())
	if out.Path == "" && int64(len(out.Data)) <= w.cfg.inlineReduce {
		return w.reportReduce(ctx, a, out.Data, size, &cnt)
	}
	if err := w.upload(ctx, a, out, size, &cnt); err != nil {
		w.log.Warn("upload failed", "attempt", a.String(), "err", err)
	}
	return nil
}

// mapOnly points the executor at the split and has it map it into one
// run, in the scratch directory dir if large.
func (w *Worker) mapOnly(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, dir string, cnt *protocol.Counters) (runfile.Segment, error) {
	split := splitPath(w.dir, t.Task, t.Attempt)
	defer removeFile(split)
	size := inputSize(t.Inputs)
	task := &executor.Task{Kind: protocol.MapTask, Name: a.String(), NReduce: 0, Params: w.shape().params,
		Inputs: executorInputs(t.Inputs), Scratch: dir, HeapLimit: w.heapLimit.Load()}
	res, err := w.runSplit(ctx, a, t, task, split, cnt, func(n int64) { w.progress.mapEmitted(size, n) })
	if err != nil {
		return runfile.Segment{}, err
	}
	return res.Out, resultError(&res)
}
