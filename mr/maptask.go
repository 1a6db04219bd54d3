package mr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"mapreduce/mr/internal/protocol"
)

// runMap runs one map attempt and reports it. Its run files are served
// only once the coordinator has accepted the report.
func (w *Worker) runMap(ctx context.Context, t *protocol.GetTaskReply) {
	a := w.attemptOf(protocol.MapTask, t)
	start := time.Now()
	w.log.Info("attempt started", "attempt", a.String(), "worker", a.WorkerID, "input", t.Split.File, "bytes", t.Split.Length)
	var cnt protocol.Counters
	user := beginCounters()
	runs, err := w.doMap(ctx, a, t, &cnt)
	w.endCounters(user, &cnt, a)
	if err != nil {
		w.reportFailure(ctx, a, err)
		return
	}
	if ctx.Err() != nil {
		return // we were stopped: a dead worker reports nothing
	}
	w.log.Info("attempt done", "attempt", a.String(), "worker", a.WorkerID, "read", t.Split.Length,
		"written", cnt.MapOutputBytes, "elapsed", time.Since(start).Round(time.Millisecond).String())
	args := &protocol.ReportMapArgs{Attempt: a, Runs: runs, Read: t.Split.Length, Counters: cnt}
	if w.report(ctx, "ReportMap", args, a) {
		w.mu.Lock()
		for r := range runs {
			w.served[runKey{t.Task, r, t.Attempt}] = true
		}
		w.mu.Unlock()
	}
}

// doMap reads the split, calls Map, and writes one sorted run per reduce
// task, counting into cnt.
func (w *Worker) doMap(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, cnt *protocol.Counters) ([]protocol.RunInfo, error) {
	contents, err := w.fetchSplit(ctx, a, t.Split)
	if err != nil {
		return nil, err
	}
	cnt.MapInputBytes, cnt.MapInputRecords = int64(len(contents)), countLines(contents)
	out := newMapOutput(t.NReduce, w.cfg.MapBuffer, w.app.Combine, spillPath(w.dir, t.Task, t.Attempt))
	if err := callMap(w.app, t.Split.File, contents, out.emit); err != nil {
		return nil, err
	}
	runs, err := out.finish(func(r int) string { return runPath(w.dir, t.Task, r, t.Attempt) })
	out.count(cnt, runs)
	return runs, err
}

// fetchSplit reads the attempt's split from the coordinator.
func (w *Worker) fetchSplit(ctx context.Context, a protocol.Attempt, sp protocol.Split) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(sp.Length))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, protocol.SplitURL(w.cfg.Coordinator, a), nil)
	if err != nil {
		return "", err
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("mr: reading split of %s: %w", sp.File, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("mr: reading split of %s: %s", sp.File, resp.Status)
	}
	var b strings.Builder
	b.Grow(int(sp.Length))
	n, err := io.Copy(&b, io.LimitReader(resp.Body, sp.Length+1))
	if err == nil && n != sp.Length {
		err = fmt.Errorf("got %d bytes, want %d", n, sp.Length)
	}
	if err != nil {
		return "", fmt.Errorf("mr: reading split of %s: %w", sp.File, err)
	}
	return b.String(), nil
}

// transferTimeout bounds one HTTP transfer of n bytes: FetchTimeout plus
// 1 s per MiB.
func (w *Worker) transferTimeout(n int64) time.Duration {
	return w.cfg.FetchTimeout + time.Duration(n>>20)*time.Second
}
