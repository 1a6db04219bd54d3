package mr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// runMap runs one map attempt and reports it. Its run files are served
// only once the coordinator has accepted the report.
func (w *Worker) runMap(ctx context.Context, t *GetTaskReply) {
	id := attemptName(MapTask, t.Task, t.Attempt)
	start := time.Now()
	runs, err := w.doMap(ctx, t)
	if err != nil {
		w.reportFailure(ctx, MapTask, t, err)
		return
	}
	if ctx.Err() != nil {
		return // we were stopped: a dead worker reports nothing
	}
	w.log.Debug("map done", "attempt", id, "elapsed", time.Since(start).Round(time.Millisecond).String())
	args := &ReportMapArgs{WorkerID: w.ID(), Task: t.Task, Attempt: t.Attempt, Runs: runs,
		Read: t.Split.Length, Elapsed: time.Since(start)}
	if w.report(ctx, "ReportMap", args, id) {
		w.mu.Lock()
		for r := range runs {
			w.served[runFileKey(t.Task, r, t.Attempt)] = true
		}
		w.mu.Unlock()
	}
}

// doMap reads the split, calls Map, and writes one sorted run per reduce task.
func (w *Worker) doMap(ctx context.Context, t *GetTaskReply) ([]RunInfo, error) {
	contents, err := w.fetchSplit(ctx, t)
	if err != nil {
		return nil, err
	}
	out := newMapOutput(t.NReduce, w.cfg.MapBuffer, w.app.Combine, spillPath(w.dir, t.Task, t.Attempt))
	if err := callMap(w.app, t.Split.File, contents, out.emit); err != nil {
		return nil, err
	}
	return out.finish(func(r int) string { return filepath.Join(w.dir, runFileKey(t.Task, r, t.Attempt)) })
}

// fetchSplit reads the attempt's split from the coordinator.
func (w *Worker) fetchSplit(ctx context.Context, t *GetTaskReply) (string, error) {
	q := url.Values{"worker": {w.ID()}, "task": {strconv.Itoa(t.Task)}, "attempt": {strconv.Itoa(t.Attempt)}}
	u := "http://" + w.cfg.Coordinator + "/split?" + q.Encode()
	ctx, cancel := context.WithTimeout(ctx, w.cfg.FetchTimeout+transferDeadline(t.Split.Length))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("mr: reading split of %s: %w", t.Split.File, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("mr: reading split of %s: %s", t.Split.File, resp.Status)
	}
	var b strings.Builder
	b.Grow(int(t.Split.Length))
	n, err := io.Copy(&b, io.LimitReader(resp.Body, t.Split.Length+1))
	if err == nil && n != t.Split.Length {
		err = fmt.Errorf("got %d bytes, want %d", n, t.Split.Length)
	}
	if err != nil {
		return "", fmt.Errorf("mr: reading split of %s: %w", t.Split.File, err)
	}
	return b.String(), nil
}

// callMap runs the app's map function over one input, passing every
// record to emit, and turns a panic into an appError.
func callMap(app *App, name, contents string, emit func(key, value string)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Map(%s) panicked: %v", name, p)}
		}
	}()
	if app.MapEmit != nil {
		app.MapEmit(name, contents, emit)
		return nil
	}
	for _, kv := range app.Map(name, contents) {
		emit(kv.Key, kv.Value)
	}
	return nil
}
