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
// coordinator.
func (w *Worker) runReduce(ctx context.Context, t *protocol.GetTaskReply) {
	a := w.attemptOf(protocol.ReduceTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "maps", t.NMap)
	w.progress.start(a)
	defer w.progress.stop()
	dir := reduceDir(w.dir, a)
	defer os.RemoveAll(dir)
	err := os.Mkdir(dir, 0o755)
	var read int64
	var segs []runfile.Segment
	if err == nil {
		segs, read, err = w.fetchAll(ctx, a, t, dir)
	}
	fetched := time.Now()
	var out string
	cnt := protocol.Counters{ShuffledBytes: read}
	if err == nil {
		out, err = w.reduce(ctx, a, t, segs, dir, read, &cnt)
	}
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, errAborted):
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
		return
	case err != nil:
		w.reportFailure(ctx, a, err)
		return
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", read,
		"written", fileSize(out), "elapsed", time.Since(start).Round(time.Millisecond).String(),
		"fetching", fetched.Sub(start).Round(time.Millisecond).String())
	if err := w.upload(ctx, a, out, read, &cnt); err != nil {
		w.log.Warn("upload failed", "attempt", a.String(), "err", err)
	}
}

// reduce has the executor merge the fetched runs, in map order (read
// bytes in all), in the scratch directory dir and call Reduce per key,
// counting into cnt; it returns the output run's path.
func (w *Worker) reduce(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, segs []runfile.Segment, dir string,
	read int64, cnt *protocol.Counters) (string, error) {
	task := &executor.Task{Kind: protocol.ReduceTask, Name: a.String(), NReduce: t.NReduce,
		Runs: segs, Scratch: dir, MergeFanIn: w.cfg.MergeFanIn}
	res := w.exec.Run(ctx, task, func(n int64) { w.progress.set(0.5 + 0.5*float64(n)/float64(max(read, 1))) })
	w.takeCounters(&res, cnt, a)
	return res.Out, resultError(&res)
}

// upload sends the reduce output to the coordinator, which commits the
// first complete upload of a running attempt.
func (w *Worker) upload(ctx context.Context, a protocol.Attempt, path string, read int64, cnt *protocol.Counters) error {
	size, crc, err := runfile.Checksum(path)
	if err != nil {
		return err
	}
	up := upload{size: size, crc: crc, read: read, counters: w.countersHeader(cnt)}
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	return b.retry(ctx, func() (bool, error) {
		tctx, cancel := context.WithTimeout(ctx, w.transferTimeout(size))
		status, err := w.coord.Upload(tctx, a, path, up)
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
