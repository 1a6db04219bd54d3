// A finished job's status served while it lingers.

package coordinator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr/coordinator"
)

// With Linger, the finished job's status is served until Linger passes,
// with where its files are; the last progress line says it is done.
func TestFinishedJobLingers(t *testing.T) {
	inputs := Inputs(t, 2)
	app := WordCount()
	cfg := Config(t.TempDir())
	cfg.Linger = 1 << 40
	var lines []string
	var mu sync.Mutex
	cfg.Progress = func(line string) { mu.Lock(); lines = append(lines, line); mu.Unlock() }
	ctx, stop := context.WithCancel(context.Background())
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &Cluster{T: t, C: c, App: app, Out: cfg.OutDir, result: make(chan error, 1)}
	go func() { cl.result <- c.Run(ctx) }()
	t.Cleanup(cl.stopWorkers)
	cl.AddWorker(WorkerConfig(c.Addr(), cfg, app, t.TempDir()))
	var st protocol.Status
	for {
		ch := c.Changed()
		if st = getStatus(t, c.Addr()); st.Result != nil && st.Result.SummaryFile != "" {
			break
		}
		<-ch // the summary file is written after the job: a change
	}
	if !st.Over || st.Result.Final != "mr-wc-all" ||
		st.Result.Outputs != "mr-out-0 … mr-out-3" || !strings.HasSuffix(st.Result.SummaryFile, "mr-wc-summary.json") {
		t.Fatalf("status after the job: %+v", st.Result)
	}
	if st.Counters.MapInputRecords == 0 || st.Counters.ReduceOutputRecords == 0 {
		t.Fatalf("counters %+v", st.Counters)
	}
	select {
	case err := <-cl.result:
		t.Fatalf("Run returned %v while lingering", err)
	default:
	}
	stop()
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := len(lines); n == 0 || !strings.HasPrefix(lines[n-1], "map 2/2 · reduce 4/4 · ") || !strings.Contains(lines[n-1], " · done in ") {
		t.Fatalf("progress lines %q", lines)
	}
}

// getStatus is what GET /status of the coordinator at addr answers, for
// a job without a secret.
func getStatus(t *testing.T, addr string) protocol.Status {
	t.Helper()
	resp, err := http.Get("http://" + addr + protocol.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st protocol.Status
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", protocol.PathStatus, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("GET %s: %v", protocol.PathStatus, err)
	}
	return st
}
