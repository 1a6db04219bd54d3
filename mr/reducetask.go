package mr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// errAborted means the coordinator no longer wants this reduce attempt.
var errAborted = errors.New("mr: attempt no longer wanted")

// runReduce fetches the reduce task's partition from every map owner,
// merges and reduces it, and uploads the result to the coordinator.
func (w *Worker) runReduce(ctx context.Context, t *GetTaskReply) {
	id := attemptName(ReduceTask, t.Task, t.Attempt)
	start := time.Now()
	dir := filepath.Join(w.dir, id)
	defer os.RemoveAll(dir)
	err := os.Mkdir(dir, 0o755)
	var read int64
	if err == nil {
		read, err = w.fetchAll(ctx, t, dir)
	}
	var out string
	if err == nil {
		out, err = w.reduceRuns(t, dir)
	}
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, errAborted):
		w.log.Info("attempt stale", "attempt", id, "worker", w.ID())
		return
	case err != nil:
		w.reportFailure(ctx, ReduceTask, t, err)
		return
	}
	w.log.Debug("reduce done", "attempt", id, "elapsed", time.Since(start).Round(time.Millisecond).String())
	if err := w.upload(ctx, t, out, read); err != nil {
		w.log.Warn("upload failed", "attempt", id, "err", err)
	}
}

// fetchAll brings every map task's run file for this reduce task into dir,
// FetchParallel at a time. A file that cannot be had is reported to the
// coordinator, which re-runs its map task; we wait for the new owner.
func (w *Worker) fetchAll(ctx context.Context, t *GetTaskReply, dir string) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, w.cfg.FetchParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
	for _, src := range t.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			n, err := w.fetchSource(ctx, t, src, dir)
			if err != nil {
				cancel(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return total, nil
}

// fetchSource fetches one map task's run file, asking the coordinator for
// a new location whenever the current one fails.
func (w *Worker) fetchSource(ctx context.Context, t *GetTaskReply, src MapSource, dir string) (int64, error) {
	path := filepath.Join(dir, runFileName(src.Map, t.Task))
	for {
		err := w.fetchRun(ctx, src, t.Task, path)
		if err == nil || ctx.Err() != nil {
			return src.Size, err
		}
		failed := src.Attempt
		for {
			var rep LocateReply
			args := &LocateArgs{WorkerID: w.ID(), Reduce: t.Task, Attempt: t.Attempt, Map: src.Map, Failed: failed}
			if err := w.retry(ctx, "Locate", args, &rep, w.cfg.RPCTimeout+5*time.Second); err != nil {
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
// results as a run file in dir. It returns that file's path.
func (w *Worker) reduceRuns(t *GetTaskReply, dir string) (path string, err error) {
	paths := make([]string, len(t.Sources))
	for i, src := range t.Sources {
		paths[i] = filepath.Join(dir, runFileName(src.Map, t.Task))
	}
	if paths, err = mergePasses(paths, w.cfg.MergeFanIn, dir); err != nil {
		return "", err
	}
	runs, closeAll, err := openRuns(paths)
	if err != nil {
		return "", err
	}
	defer closeAll()
	path = filepath.Join(dir, "out.run")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Reduce panicked: %v", p)}
		}
	}()
	out := newRunWriter(f)
	if err := reduceMerged(newMerger(runs), w.app.Reduce, out); err != nil {
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return path, f.Close()
}

// mergePasses merges runs, fanIn at a time and in order, into fewer runs
// in dir until at most fanIn are left, so that the final merge never holds
// more than fanIn files open. Order is kept: equal keys stay in run order.
func mergePasses(paths []string, fanIn int, dir string) ([]string, error) {
	for pass := 0; len(paths) > fanIn; pass++ {
		var next []string
		for i := 0; i < len(paths); i += fanIn {
			batch := paths[i:min(i+fanIn, len(paths))]
			out := filepath.Join(dir, fmt.Sprintf("pass-%d-%d.run", pass, len(next)))
			if err := mergeFiles(batch, out); err != nil {
				return nil, err
			}
			next = append(next, out)
		}
		paths = next
	}
	return paths, nil
}

// mergeFiles merges sorted run files into one.
func mergeFiles(paths []string, out string) error {
	runs, closeAll, err := openRuns(paths)
	if err != nil {
		return err
	}
	defer closeAll()
	_, err = writeRunFile(out, func(w *runWriter) error {
		m := newMerger(runs)
		for m.Next() {
			if err := w.WriteBytes(m.Key(), m.Value()); err != nil {
				return err
			}
		}
		return m.Err()
	})
	return err
}

// openRuns opens run files for reading; closeAll closes them.
func openRuns(paths []string) (runs []*runReader, closeAll func(), err error) {
	var files []*os.File
	closeAll = func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		runs = append(runs, newRunReader(f, st.Size()))
	}
	return runs, closeAll, nil
}

// upload sends the reduce output to the coordinator, which commits the
// first complete upload of a running attempt.
func (w *Worker) upload(ctx context.Context, t *GetTaskReply, path string, read int64) error {
	size, crc, err := fileCRC(path)
	if err != nil {
		return err
	}
	q := url.Values{"worker": {w.ID()}, "task": {strconv.Itoa(t.Task)}, "attempt": {strconv.Itoa(t.Attempt)}}
	u := "http://" + w.cfg.Coordinator + "/reduce?" + q.Encode()
	backoff := 100 * time.Millisecond
	for try := 1; ; try++ {
		status, err := w.post(ctx, u, path, size, crc, read)
		switch {
		case err == nil && status == http.StatusOK:
			return nil
		case err == nil && status == http.StatusConflict:
			w.log.Info("attempt stale", "attempt", attemptName(ReduceTask, t.Task, t.Attempt), "worker", w.ID())
			return nil
		case err == nil:
			err = fmt.Errorf("coordinator answered %d", status)
		}
		if try == w.cfg.FetchRetries || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (w *Worker) post(ctx context.Context, u, path string, size int64, crc uint32, read int64) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, w.cfg.FetchTimeout+transferDeadline(size))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, f)
	if err != nil {
		return 0, err
	}
	req.ContentLength = size
	req.Header.Set(hdrCRC, strconv.FormatUint(uint64(crc), 10))
	req.Header.Set(hdrRead, strconv.FormatInt(read, 10))
	resp, err := w.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp.StatusCode, nil
}
