package mr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
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
	kvs, err := callMap(w.app.Map, t.Split.File, contents)
	if err != nil {
		return nil, err
	}
	parts := partition(kvs, t.NReduce)
	runs := make([]RunInfo, t.NReduce)
	for r, part := range parts {
		if part, err = combine(w.app.Combine, part); err != nil {
			return nil, err
		}
		size, crc, err := writeRunFile(filepath.Join(w.dir, runFileKey(t.Task, r, t.Attempt)), part)
		if err != nil {
			return nil, err
		}
		runs[r] = RunInfo{Size: size, CRC: crc, Records: int64(len(part))}
	}
	return runs, nil
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

// callMap calls the app's Map, turning a panic into an appError.
func callMap(f func(string, string) []KeyValue, name, contents string) (kvs []KeyValue, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Map(%s) panicked: %v", name, p)}
		}
	}()
	return f(name, contents), nil
}

// partition splits records by reduce task, each sorted by key; records
// with equal keys keep Map's order.
func partition(kvs []KeyValue, nReduce int) [][]KeyValue {
	parts := make([][]KeyValue, nReduce)
	for _, kv := range kvs {
		r := ihash(kv.Key) % nReduce
		parts[r] = append(parts[r], kv)
	}
	for _, p := range parts {
		slices.SortStableFunc(p, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	}
	return parts
}

// combine applies the app's optional Combine to each key's values of a
// sorted partition.
func combine(f func(string, []string) []string, part []KeyValue) (out []KeyValue, err error) {
	if f == nil {
		return part, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Combine panicked: %v", p)}
		}
	}()
	out = part[:0:0]
	var values []string
	for i := 0; i < len(part); {
		j, key := i, part[i].Key
		values = values[:0]
		for ; j < len(part) && part[j].Key == key; j++ {
			values = append(values, part[j].Value)
		}
		for _, v := range f(key, values) {
			out = append(out, KeyValue{key, v})
		}
		i = j
	}
	return out, nil
}
