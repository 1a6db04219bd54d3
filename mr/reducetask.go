package mr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
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
	res := w.exec.run(ctx, &execTask{Kind: protocol.ReduceTask, Name: a.String(), Dir: w.dir, Task: t.Task, N: t.Attempt,
		NReduce: t.NReduce, Runs: segs, Scratch: dir, MergeFanIn: w.cfg.MergeFanIn},
		func(n int64) { w.progress.set(0.5 + 0.5*float64(n)/float64(max(read, 1))) })
	w.takeCounters(&res, cnt, a)
	return res.Out, res.error()
}

// fetchAll brings every map task's run for this reduce attempt into dir:
// first one batch per owner (into one file each), FetchParallel at a
// time; then, for each run a batch did not bring, retries and, if need
// be, a new location from the coordinator, which re-runs a map whose
// output is lost. It returns where each map's run is, and the bytes
// fetched.
func (w *Worker) fetchAll(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, dir string) ([]runfile.Segment, int64, error) {
	src, err := w.sources(ctx, t.SourcesVersion, t.NMap)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	var total int64
	var fetched int
	got := make([]bool, t.NMap)
	segs := make([]runfile.Segment, t.NMap)
	done := func(m protocol.MapAttempt, seg runfile.Segment, err error) {
		if err == nil {
			mu.Lock()
			got[m.Map], segs[m.Map], total, fetched = true, seg, total+seg.Size, fetched+1
			w.progress.set(0.5 * float64(fetched) / float64(max(len(got), 1)))
			mu.Unlock()
		}
	}
	w.parallel(ctx, len(src.owners), func(o int) {
		path := batchPath(dir, "owner-"+strconv.Itoa(o))
		if err := w.fetchBatch(ctx, src.owners[o], a.Task, byOwner(src, o), path, done); err != nil {
			var local *localError
			if errors.As(err, &local) {
				cancel(err)
				return
			}
			w.log.Info("fetch failed", "attempt", a.String(), "from", src.owners[o], "err", err)
		}
	})
	w.parallel(ctx, t.NMap, func(m int) {
		if got[m] {
			return
		}
		var loc protocol.Location
		if s := src.maps[m]; s.Attempt > 0 {
			loc = protocol.Location{Map: m, Attempt: s.Attempt, Addr: src.owners[s.Owner]}
		} else {
			loc.Map = m // being re-run: wait for it
		}
		if err := w.fetchSource(ctx, a, loc, dir, done); err != nil {
			cancel(err)
		}
	})
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	return segs, total, nil
}

// parallel calls f(0..n-1), FetchParallel at a time, until ctx ends.
func (w *Worker) parallel(ctx context.Context, n int, f func(i int)) {
	sem := make(chan struct{}, w.cfg.FetchParallel)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

// byOwner lists the map attempts owner o holds.
func byOwner(src *sourceMap, o int) []protocol.MapAttempt {
	var maps []protocol.MapAttempt
	for _, s := range src.maps {
		if s.Attempt > 0 && s.Owner == o {
			maps = append(maps, protocol.MapAttempt{Map: s.Map, Attempt: s.Attempt})
		}
	}
	return maps
}

// fetchSource fetches one map task's run, retrying with backoff, then
// asking the coordinator for a new location whenever the current one
// fails; done hears of the fetched run.
func (w *Worker) fetchSource(ctx context.Context, a protocol.Attempt, loc protocol.Location, dir string,
	done func(protocol.MapAttempt, runfile.Segment, error)) error {
	for {
		err := errors.New("location unknown")
		if loc.Attempt > 0 {
			err = w.fetchOne(ctx, a, loc, dir, done)
		}
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return err // our own disk failing blames no map output
		}
		failed := loc.Attempt
		for {
			var rep protocol.LocateReply
			args := &protocol.LocateArgs{Attempt: a, Map: loc.Map, Failed: failed}
			if err := w.callRetry(ctx, "Locate", args, &rep, w.longPollTimeout()); err != nil {
				return err
			}
			if rep.Abort {
				return errAborted
			}
			if rep.Ready {
				if err := checkLocation(rep.Source); err != nil || rep.Source.Map != loc.Map {
					return fmt.Errorf("mr: bad location of map %d: %v", loc.Map, err)
				}
				loc = rep.Source
				break
			}
			failed = 0
		}
	}
}

// fetchOne fetches one map task's run from loc, retrying with backoff.
func (w *Worker) fetchOne(ctx context.Context, a protocol.Attempt, loc protocol.Location, dir string,
	done func(protocol.MapAttempt, runfile.Segment, error)) error {
	m := protocol.MapAttempt{Map: loc.Map, Attempt: loc.Attempt}
	path := batchPath(dir, "map-"+strconv.Itoa(loc.Map))
	try := 0
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	return b.retry(ctx, func() (bool, error) {
		try++
		var missing error
		err := w.fetchBatch(ctx, loc.Addr, a.Task, []protocol.MapAttempt{m}, path, func(m protocol.MapAttempt, seg runfile.Segment, err error) {
			missing = err
			done(m, seg, err)
		})
		if err == nil {
			err = missing
		}
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return true, err
		}
		w.log.Info("fetch failed", "attempt", protocol.AttemptName(protocol.MapTask, loc.Map, loc.Attempt),
			"for", a.String(), "from", loc.Addr, "try", try, "err", err)
		return false, err
	})
}

// sources returns where every map output is, as of version or newer,
// asking the coordinator only when the worker's copy is older.
func (w *Worker) sources(ctx context.Context, version, nMap int) (*sourceMap, error) {
	w.mu.Lock()
	src := w.src
	w.mu.Unlock()
	if src != nil && src.version >= version && len(src.maps) == nMap {
		return src, nil
	}
	var reply protocol.SourcesReply
	args := &protocol.SourcesArgs{WorkerID: w.ID(), Version: version}
	if err := w.callRetry(ctx, "Sources", args, &reply, w.cfg.RPCTimeout+time.Duration(nMap)*time.Microsecond); err != nil {
		return nil, err
	}
	src, err := unpackSources(&reply, nMap)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	if w.src == nil || src.version > w.src.version {
		w.src = src
	}
	w.mu.Unlock()
	return src, nil
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
