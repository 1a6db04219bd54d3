// reducetask.go: a reduce attempt, from its fetched runs to its output,
// reported or uploaded.

package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/executor"
)

// errAborted means the coordinator no longer wants this reduce attempt.
var errAborted = errors.New("mr: attempt no longer wanted")

// runReduce fetches the reduce task's partition from every map owner, has
// the executor merge and reduce it, and uploads the result to the
// coordinator: in its report if small, whose reply may carry the next
// assignment (returned), else by POST /reduce while the worker goes on
// (uploadAhead).
func (w *Worker) runReduce(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	if len(t.Batch) > 0 {
		return w.runBatch(ctx, t)
	}
	a := w.attemptOf(protocol.ReduceTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "maps", t.NMap)
	w.progress.start(a)
	defer w.progress.stop()
	dir := reduceDir(w.dir, a) // made only if a run is too large to keep in memory
	uploading := false
	defer func() {
		if !uploading { // else the upload removes it, once sent
			os.RemoveAll(dir)
		}
	}()
	segs, read, err := w.fetchAll(ctx, a, t, dir)
	fetched := time.Now()
	var out runfile.Segment
	cnt := protocol.Counters{ShuffledBytes: read}
	if err == nil {
		out, err = w.reduce(ctx, a, t, segs, dir, read, &cnt)
	}
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.Is(err, errAborted):
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
		return nil
	case err != nil:
		w.reportFailure(ctx, a, err)
		return nil
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", read,
		"written", out.Size, "elapsed", time.Since(start).Round(time.Millisecond).String(),
		"fetching", fetched.Sub(start).Round(time.Millisecond).String())
	if out.Path == "" && int64(len(out.Data)) <= w.cfg.inlineReduce {
		return w.reportReduce(ctx, a, out.Data, read, &cnt)
	}
	uploading = true
	w.uploadAhead(a, out, read, cnt, dir)
	return nil
}

// reportReduce sends a reduce attempt's small output in its report,
// retrying through short outages; the reply may carry the next
// assignment.
func (w *Worker) reportReduce(ctx context.Context, a protocol.Attempt, run []byte, read int64, cnt *protocol.Counters) *protocol.GetTaskReply {
	h := runfile.NewHash()
	h.Write(run)
	args := &protocol.ReportReduceArgs{Attempt: a, Run: run, CRC: h.Sum32(), Read: read, Counters: *cnt}
	if w.faults.dropReply() {
		w.coord.ReportReduce(args)
		w.log.Warn("reply lost (injected fault drop-report-reply); retrying", "attempt", a.String())
	}
	var reply *protocol.ReportReply
	err := w.retry(ctx, func() (err error) {
		reply, err = w.coord.ReportReduce(args)
		return err
	})
	if reply = w.reported(a, reply, err); !reply.Accepted {
		return nil
	}
	w.log.Info("attempt committed", "attempt", a.String(), "worker", a.WorkerID)
	return reply.Next
}

// reduce has the executor merge the fetched runs, in map order (read
// bytes in all), in the scratch directory dir and call Reduce per key,
// counting into cnt; it returns the output run.
func (w *Worker) reduce(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, segs []runfile.Segment, dir string,
	read int64, cnt *protocol.Counters) (runfile.Segment, error) {
	task := &executor.Task{Kind: protocol.ReduceTask, Name: a.String(), NReduce: t.NReduce, Params: w.shape().params,
		Runs: fetchedRuns(segs), Scratch: dir, MergeFanIn: w.cfg.mergeFanIn, HeapLimit: w.heapLimit.Load()}
	defer w.streamTask(task, a)()
	res := w.exec.Run(ctx, task, func(n int64) { w.progress.set(0.5 + 0.5*float64(n)/float64(max(read, 1))) })
	w.takeCounters(&res, cnt, a)
	return res.Out, resultError(&res)
}

// upload sends the reduce output to the coordinator, which commits the
// first complete upload of a running attempt.
func (w *Worker) upload(ctx context.Context, a protocol.Attempt, out runfile.Segment, read int64, cnt *protocol.Counters) error {
	size, crc, err := checksum(out)
	if err != nil {
		return err
	}
	up := upload{size: size, crc: crc, read: read, counters: w.countersHeader(cnt)}
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	return b.retry(ctx, func() (bool, error) {
		tctx, cancel := context.WithTimeout(ctx, w.transferTimeout(size))
		status, err := w.coord.Upload(tctx, a, out, up)
		cancel()
		switch {
		case err == nil && status == http.StatusOK:
			w.log.Info("attempt committed", "attempt", a.String(), "worker", a.WorkerID)
			return true, nil
		case err == nil && status == http.StatusConflict:
			w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
			return true, nil
		case err == nil:
			err = fmt.Errorf("coordinator answered %d", status)
		}
		return ctx.Err() != nil, err
	})
}

// checksum is the size and CRC-32C of a run, in a file or in memory: as
// the executor summed it while writing it, if it did (a wrong sum fails
// the upload, which the coordinator checks).
func checksum(s runfile.Segment) (int64, uint32, error) {
	if s.Summed {
		return s.Size, s.CRC, nil
	}
	if s.Path != "" {
		return runfile.Checksum(s.Path)
	}
	h := runfile.NewHash()
	h.Write(s.Data)
	return int64(len(s.Data)), h.Sum32(), nil
}
