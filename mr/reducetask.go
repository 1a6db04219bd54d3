package mr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"mapreduce/mr/internal/protocol"
	"mapreduce/mr/internal/runfile"
)

// errAborted means the coordinator no longer wants this reduce attempt.
var errAborted = errors.New("mr: attempt no longer wanted")

// runReduce fetches the reduce task's partition from every map owner, has
// the executor merge and reduce it, and uploads the result to the
// coordinator.
func (w *Worker) runReduce(ctx context.Context, t *protocol.GetTaskReply) {
	a := w.attemptOf(protocol.ReduceTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "sources", len(t.Sources))
	w.progress.start(a)
	defer w.progress.stop()
	dir := reduceDir(w.dir, a)
	defer os.RemoveAll(dir)
	err := os.Mkdir(dir, 0o755)
	var read int64
	if err == nil {
		read, err = w.fetchAll(ctx, a, t.Sources, dir)
	}
	var out string
	cnt := protocol.Counters{ShuffledBytes: read}
	if err == nil {
		out, err = w.reduce(ctx, a, t, dir, read, &cnt)
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
		"written", fileSize(out), "elapsed", time.Since(start).Round(time.Millisecond).String())
	if err := w.upload(ctx, a, out, read, &cnt); err != nil {
		w.log.Warn("upload failed", "attempt", a.String(), "err", err)
	}
}

// reduce has the executor merge the fetched runs in dir (read bytes in
// all) and call Reduce per key, counting into cnt; it returns the output
// run's path.
func (w *Worker) reduce(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, dir string, read int64, cnt *protocol.Counters) (string, error) {
	paths := make([]string, len(t.Sources))
	for i, src := range t.Sources {
		paths[i] = filepath.Join(dir, protocol.RunName(src.Map, t.Task))
	}
	res := w.exec.run(ctx, &execTask{Kind: protocol.ReduceTask, Name: a.String(), Dir: w.dir, Task: t.Task, N: t.Attempt,
		NReduce: t.NReduce, Runs: paths, Scratch: dir, MergeFanIn: w.cfg.MergeFanIn},
		func(n int64) { w.progress.set(0.5 + 0.5*float64(n)/float64(max(read, 1))) })
	w.takeCounters(&res, cnt, a)
	return res.Out, res.error()
}

// fetchAll brings every map task's run file for this reduce attempt into
// dir, FetchParallel at a time. A file that cannot be had is reported to
// the coordinator, which re-runs its map task; we wait for the new owner.
func (w *Worker) fetchAll(ctx context.Context, a protocol.Attempt, sources []protocol.MapSource, dir string) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, w.cfg.FetchParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total, all int64
	for _, src := range sources {
		all += src.Size
	}
	for _, src := range sources {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			n, err := w.fetchSource(ctx, a, src, dir)
			if err != nil {
				cancel(err)
			}
			mu.Lock()
			total += n
			w.progress.set(0.5 * float64(total) / float64(max(all, 1)))
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return total, nil
}

// fetchSource fetches one map task's run file, asking the coordinator for
// a new location whenever the current one fails.
func (w *Worker) fetchSource(ctx context.Context, a protocol.Attempt, src protocol.MapSource, dir string) (int64, error) {
	path := filepath.Join(dir, protocol.RunName(src.Map, a.Task))
	for {
		err := w.fetchRun(ctx, src, a.Task, path)
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return src.Size, err // our own disk failing blames no map output
		}
		failed := src.Attempt
		for {
			var rep protocol.LocateReply
			args := &protocol.LocateArgs{Attempt: a, Map: src.Map, Failed: failed}
			if err := w.callRetry(ctx, "Locate", args, &rep, w.longPollTimeout()); err != nil {
				return 0, err
			}
			if rep.Abort {
				return 0, errAborted
			}
			if rep.Ready {
				if err := checkSource(rep.Source); err != nil || rep.Source.Map != src.Map {
					return 0, fmt.Errorf("mr: bad location of map %d: %v", src.Map, err)
				}
				src = rep.Source
				break
			}
			failed = 0
		}
	}
}

// upload sends the reduce output to the coordinator, which commits the
// first complete upload of a running attempt.
func (w *Worker) upload(ctx context.Context, a protocol.Attempt, path string, read int64, cnt *protocol.Counters) error {
	size, crc, err := runfile.Checksum(path)
	if err != nil {
		return err
	}
	u := protocol.ReduceURL(w.cfg.Coordinator, a)
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	return b.retry(ctx, func() (bool, error) {
		status, err := w.post(ctx, u, path, size, crc, read, cnt)
		switch {
		case err == nil && status == http.StatusOK:
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

func (w *Worker) post(ctx context.Context, u, path string, size int64, crc uint32, read int64, cnt *protocol.Counters) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(size))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, f)
	if err != nil {
		return 0, err
	}
	req.ContentLength = size
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(crc), 10))
	req.Header.Set(protocol.HeaderRead, strconv.FormatInt(read, 10))
	req.Header.Set(protocol.HeaderCounters, w.countersHeader(cnt))
	w.signAsWorker(req)
	resp, err := w.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp.StatusCode, nil
}
