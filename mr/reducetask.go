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

// runReduce fetches the reduce task's partition from every map owner,
// merges and reduces it, and uploads the result to the coordinator.
func (w *Worker) runReduce(ctx context.Context, t *protocol.GetTaskReply) {
	a := w.attemptOf(protocol.ReduceTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "sources", len(t.Sources))
	dir := reduceDir(w.dir, a)
	defer os.RemoveAll(dir)
	err := os.Mkdir(dir, 0o755)
	var read int64
	if err == nil {
		read, err = w.fetchAll(ctx, a, t.Sources, dir)
	}
	var out string
	cnt := protocol.Counters{ShuffledBytes: read}
	user := beginCounters()
	if err == nil {
		out, err = w.reduceRuns(t, dir, &cnt)
	}
	w.endCounters(user, &cnt, a)
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

// fetchAll brings every map task's run file for this reduce attempt into
// dir, FetchParallel at a time. A file that cannot be had is reported to
// the coordinator, which re-runs its map task; we wait for the new owner.
func (w *Worker) fetchAll(ctx context.Context, a protocol.Attempt, sources []protocol.MapSource, dir string) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, w.cfg.FetchParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
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
		if err == nil || ctx.Err() != nil {
			return src.Size, err
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
				src = rep.Source
				break
			}
			failed = 0
		}
	}
}

// reduceRuns merges the fetched runs and calls Reduce per key, writing the
// results as a run file in dir and counting into cnt. It returns that
// file's path.
func (w *Worker) reduceRuns(t *protocol.GetTaskReply, dir string, cnt *protocol.Counters) (path string, err error) {
	paths := make([]string, len(t.Sources))
	for i, src := range t.Sources {
		paths[i] = filepath.Join(dir, protocol.RunName(src.Map, t.Task))
	}
	if paths, err = runfile.MergePasses(paths, w.cfg.MergeFanIn, dir); err != nil {
		return "", err
	}
	runs, closeAll, err := runfile.OpenAll(paths)
	if err != nil {
		return "", err
	}
	defer closeAll()
	path = filepath.Join(dir, "out.run")
	info, err := runfile.WriteFile(path, func(out *runfile.Writer) error {
		return runfile.GroupByKey(runfile.NewMerger(runs), func(key string, values []string) error {
			cnt.ReduceInputGroups++
			cnt.ReduceInputRecords += int64(len(values))
			v, err := callReduce(w.app.Reduce, key, values)
			if err != nil {
				return err
			}
			return out.Write(key, v)
		})
	})
	cnt.ReduceOutputRecords = info.Records
	return path, err
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
	resp, err := w.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp.StatusCode, nil
}
