// A batch of reduce attempts (protocol.GetTaskReply.Batch): their runs
// come with one request per owner for all of them, each is reduced on its
// own, and their small outputs go back in one ReportReduces, whose reply
// may carry the next assignment. What a request did not bring is fetched
// per attempt as a lone attempt's is (fillIn, Locate), the later ones
// from where the coordinator says a moved output is now; the
// coordinator's abort of one attempt stops the batch. An attempt that
// fails, is stale, or whose output is large is reported or uploaded on
// its own, as a lone attempt would be.

package worker

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// batchRuns is one batch attempt's fetched runs, in map order, or why
// they could not all be fetched.
type batchRuns struct {
	segs []runfile.Segment
	read int64
	err  error
}

// runBatch runs a batch of reduce attempts, t's and those of t.Batch, and
// reports those with small outputs together; it returns the next
// assignment if the report's reply carries one.
func (w *Worker) runBatch(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	as := []protocol.Attempt{w.attemptOf(protocol.ReduceTask, t)}
	for _, b := range t.Batch {
		as = append(as, protocol.Attempt{WorkerID: as[0].WorkerID, Kind: protocol.ReduceTask, Task: b.Task, N: b.Attempt})
	}
	w.log.Info("batch started", "attempt", as[0].String(), "worker", as[0].WorkerID, "attempts", len(as), "maps", t.NMap)
	w.progress.start(as[0])
	defer w.progress.stop()
	dirs := make([]string, len(as))
	for i, a := range as {
		dirs[i] = reduceDir(w.dir, a) // made only if a run is too large to keep in memory
		defer os.RemoveAll(dirs[i])
	}
	start := time.Now()
	runs := w.fetchBatchRuns(ctx, as, t, dirs)
	fetched := time.Since(start)
	var reports []protocol.ReportReduceArgs
	var inline int64
	for i, a := range as {
		out, cnt, ok := w.reduceOne(ctx, a, t, runs[i], dirs[i])
		switch {
		case ctx.Err() != nil:
			return nil
		case !ok:
		case out.Path == "" && inline+int64(len(out.Data)) <= w.cfg.inlineReduce:
			inline += int64(len(out.Data))
			reports = append(reports, reduceReport(a, out.Data, runs[i].read, cnt))
		default:
			if err := w.upload(ctx, a, out, runs[i].read, cnt); err != nil {
				w.log.Warn("upload failed", "attempt", a.String(), "err", err)
			}
		}
	}
	w.log.Info("batch done", "attempt", as[0].String(), "worker", as[0].WorkerID, "attempts", len(as),
		"elapsed", time.Since(start).Round(time.Millisecond).String(), "fetching", fetched.Round(time.Millisecond).String())
	return w.reportBatch(ctx, reports)
}

// reduceOne reduces one attempt of a batch from its fetched runs; a
// failure is reported, a stale attempt dropped (ok false).
func (w *Worker) reduceOne(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, runs batchRuns,
	dir string) (runfile.Segment, *protocol.Counters, bool) {
	cnt := &protocol.Counters{ShuffledBytes: runs.read}
	err := runs.err
	var out runfile.Segment
	if err == nil {
		out, err = w.reduce(ctx, a, t, runs.segs, dir, runs.read, cnt)
	}
	switch {
	case ctx.Err() != nil:
		return out, cnt, false
	case errors.Is(err, errAborted):
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
		return out, cnt, false
	case err != nil:
		w.reportFailure(ctx, a, err)
		return out, cnt, false
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", runs.read, "written", out.Size)
	return out, cnt, true
}

// reduceReport is the report of reduce attempt a carrying its output run.
func reduceReport(a protocol.Attempt, run []byte, read int64, cnt *protocol.Counters) protocol.ReportReduceArgs {
	h := runfile.NewHash()
	h.Write(run)
	return protocol.ReportReduceArgs{Attempt: a, Run: run, CRC: h.Sum32(), Read: read, Counters: *cnt}
}

// reportBatch sends a batch's reports in one call (one alone as
// ReportReduce), retrying through short outages; the reply may carry the
// next assignment.
func (w *Worker) reportBatch(ctx context.Context, reports []protocol.ReportReduceArgs) *protocol.GetTaskReply {
	switch len(reports) {
	case 0:
		return nil
	case 1:
		r := &reports[0]
		return w.reportReduce(ctx, r.Attempt, r.Run, r.Read, &r.Counters)
	}
	args := &protocol.ReportReducesArgs{Reports: reports}
	if w.faults.dropReply() {
		w.coord.ReportReduces(args)
		w.log.Warn("reply lost (injected fault drop-report-reply); retrying", "attempt", reports[0].Attempt.String())
	}
	var reply *protocol.ReportReducesReply
	err := w.retry(ctx, func() (err error) {
		reply, err = w.coord.ReportReduces(args)
		return err
	})
	if err != nil {
		w.log.Warn("report failed", "attempt", reports[0].Attempt.String(), "attempts", len(reports), "err", err)
		return nil
	}
	for i, r := range reports {
		if i < len(reply.Accepted) && reply.Accepted[i] {
			w.log.Info("attempt committed", "attempt", r.Attempt.String(), "worker", r.Attempt.WorkerID)
		} else {
			w.log.Info("attempt stale", "attempt", r.Attempt.String(), "worker", r.Attempt.WorkerID)
		}
	}
	return reply.Next
}

// batchFetch is a batch's fetch under way: per attempt, its scratch
// directory, its runs so far, which maps' runs it got, and the callback
// recording each.
type batchFetch struct {
	as     []protocol.Attempt
	nMap   int
	dirs   []string
	runs   []batchRuns
	got    [][]bool
	done   []func(protocol.MapAttempt, runfile.Segment, error)
	cancel context.CancelCauseFunc // stops the whole batch's fetch, with a cause
}

// fetchBatchRuns brings every map task's run for each attempt of as into
// its directory of dirs: one request per owner for the whole batch
// (fetchOwners); then what the requests did not bring (fillBatch). A
// failure of this worker's own disk fails every attempt not fetched yet.
func (w *Worker) fetchBatchRuns(ctx context.Context, as []protocol.Attempt, t *protocol.GetTaskReply, dirs []string) []batchRuns {
	b := &batchFetch{as: as, nMap: t.NMap, dirs: dirs, runs: make([]batchRuns, len(as))}
	src, err := w.sources(ctx, t.SourcesVersion, t.NMap)
	if err != nil {
		for i := range b.runs {
			b.runs[i].err = err
		}
		return b.runs
	}
	ctx, b.cancel = context.WithCancelCause(ctx)
	defer b.cancel(nil)
	w.recordRuns(b)
	for i := range b.as {
		takeAbsorbed(src, b.done[i])
	}
	w.fetchOwners(ctx, b, src)
	w.fillBatch(ctx, b, src)
	return b.runs
}

// fetchOwners asks each owner once, FetchParallel at a time, for the
// runs of every attempt of the batch.
func (w *Worker) fetchOwners(ctx context.Context, b *batchFetch, src *sourceMap) {
	w.parallel(ctx, len(src.owners), func(o int) {
		parts := make([]runsPart, len(b.as))
		for i, a := range b.as {
			parts[i] = runsPart{r: a.Task, path: batchPath(b.dirs[i], "owner-"+strconv.Itoa(o)), done: b.done[i]}
		}
		if err := w.fetchBatch(ctx, src.owners[o], parts, byOwner(src, o), inlineBudget/(len(src.owners)*len(b.as))); err != nil {
			var local *localError
			if errors.As(err, &local) {
				b.cancel(err)
				return
			}
			w.log.Info("fetch failed", "attempt", b.as[0].String(), "attempts", len(b.as), "from", src.owners[o], "err", err)
		}
	})
}

// fillBatch fetches, for FetchParallel attempts of a batch at a time,
// the runs its requests did not bring (fillIn). Once an attempt had to
// and could, a map output may have moved: the next attempts start from
// where the coordinator says the outputs are now, rather than each trying
// a lost owner again. The coordinator's abort of one attempt (it wants
// the worker to re-run a lost map, or the attempt is not wanted) stops
// the batch, as does a failure of this worker's own disk; an attempt not
// filled in then fails with that cause.
func (w *Worker) fillBatch(ctx context.Context, b *batchFetch, src *sourceMap) {
	var mu sync.Mutex // guards src and moved
	moved := false
	filled := make([]bool, len(b.as)) // it had runs to fill in, and tried
	w.parallel(ctx, len(b.as), func(i int) {
		mu.Lock()
		if moved {
			if s, err := w.sources(ctx, src.version+1, b.nMap); err == nil {
				src, moved = s, false
			}
		}
		cur := src
		mu.Unlock()
		if !slices.Contains(b.got[i], false) {
			return // its requests brought it all
		}
		err := w.fillIn(ctx, b.as[i], cur, b.got[i], b.dirs[i], b.done[i])
		b.runs[i].err, filled[i] = err, true
		var local *localError
		switch {
		case err == nil:
			mu.Lock()
			moved = true
			mu.Unlock()
		case errors.Is(err, errAborted) || errors.As(err, &local):
			b.cancel(err)
		}
	})
	for i := range b.runs {
		if !filled[i] && slices.Contains(b.got[i], false) {
			b.runs[i].err = context.Cause(ctx)
		}
	}
}

// recordRuns makes, for each attempt of a batch, the record of which
// maps' runs it got and the callback that records each.
func (w *Worker) recordRuns(b *batchFetch) {
	var mu sync.Mutex
	fetched, all := 0, max(len(b.runs)*b.nMap, 1)
	b.got = make([][]bool, len(b.runs))
	b.done = make([]func(protocol.MapAttempt, runfile.Segment, error), len(b.runs))
	for i := range b.runs {
		b.got[i], b.runs[i].segs = make([]bool, b.nMap), make([]runfile.Segment, b.nMap)
		b.done[i] = func(m protocol.MapAttempt, seg runfile.Segment, err error) {
			if err != nil {
				return
			}
			mu.Lock()
			b.got[i][m.Map], b.runs[i].segs[m.Map], b.runs[i].read = true, seg, b.runs[i].read+seg.Size
			fetched++
			w.progress.set(0.5 * float64(fetched) / float64(all))
			mu.Unlock()
		}
	}
}
