// bench_test.go: the coordinator's cost per task, at the paper's scale,
// with simulated workers over real connections.

package coordinator

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/rpc"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
)

// BenchmarkCoordinatorTasks serves 100,000 no-op map tasks (and one
// reduce) over real loopback RPC to 50 simulated workers, goroutines that
// ask, report at once, and never read their splits. It reports tasks/s
// and the coordinator's heap when the job is done.
func BenchmarkCoordinatorTasks(b *testing.B) { benchCoordinator(b, 100_000, 1, 50) }

// BenchmarkCoordinatorScale is the paper's largest job (OSDI'04 §3.5):
// M = 200,000 map tasks, R = 5,000 reduce tasks, 200 simulated workers.
// The coordinator must keep O(M + R) state: nothing per map x reduce pair.
func BenchmarkCoordinatorScale(b *testing.B) { benchCoordinator(b, 200_000, 5_000, 200) }

func benchCoordinator(b *testing.B, tasks, reduces, workers int) {
	input := filepath.Join(b.TempDir(), "tasks.txt")
	if err := os.WriteFile(input, bytes.Repeat([]byte("x\n"), tasks), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cfg := testConfig(b.TempDir())
		cfg.NReduce, cfg.SplitSize, cfg.HeartbeatTimeout = reduces, 1, time.Minute
		c, err := New(cfg, []string{input})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- c.Run(context.Background()) }()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := simulateWorker(c.Addr()); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(tasks+reduces)/elapsed.Seconds(), "tasks/s")
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-heap")
		runtime.KeepAlive(c)
	}
}

// simulateWorker registers and runs whatever it is given in no time: a
// map reports one empty run, a reduce (each of a batch) uploads an empty
// output.
func simulateWorker(addr string) error {
	conn, err := wire.DialRPC(addr, 5*time.Second, nil)
	if err != nil {
		return err
	}
	rc := rpc.NewClientWithCodec(wire.NewClientCodec(conn))
	defer rc.Close()
	call := func(method string, args, reply any) error { return rc.Call("Coordinator."+method, args, reply) }
	var reg protocol.RegisterReply
	ex := auth.NewExchange()
	if err := call("Register", &protocol.RegisterArgs{App: "bench", Addr: "127.0.0.1:1", Public: ex.Public(), Partitioning: protocol.Partitioning}, &reg); err != nil {
		return err
	}
	key, err := ex.SessionKey(nil, reg.Public, reg.WorkerID, ex.Public(), reg.Public)
	if err != nil {
		return err
	}
	version := 0
	var next *protocol.GetTaskReply
	for {
		var t protocol.GetTaskReply
		if next != nil {
			t, next = *next, nil
		} else if err := call("GetTask", &protocol.GetTaskArgs{WorkerID: reg.WorkerID}, &t); err != nil {
			return err
		}
		switch t.Action {
		case protocol.ActExit:
			return nil
		case protocol.ActMap:
			var rep protocol.ReportReply
			a := protocol.Attempt{WorkerID: reg.WorkerID, Kind: protocol.MapTask, Task: t.Task, N: t.Attempt}
			args := &protocol.ReportMapArgs{Attempt: a, NReduce: t.NReduce}
			if err := call("ReportMap", args, &rep); err != nil {
				return err
			}
			next = rep.Next // as a worker does: the next map rides on the reply
		case protocol.ActReduce:
			if t.SourcesVersion > version { // as a reducer does, once per version
				var src protocol.SourcesReply
				if err := call("Sources", &protocol.SourcesArgs{WorkerID: reg.WorkerID, Version: t.SourcesVersion}, &src); err != nil {
					return err
				}
				version = src.Version
			}
			for _, b := range append([]protocol.BatchTask{{Task: t.Task, Attempt: t.Attempt}}, t.Batch...) {
				t.Task, t.Attempt = b.Task, b.Attempt // each attempt of a batch, as a worker does
				if err := uploadEmpty(addr, reg.WorkerID, key, t); err != nil {
					return err
				}
			}
		}
	}
}

func uploadEmpty(addr, worker string, key []byte, t protocol.GetTaskReply) error {
	run, _, err := runfile.WriteSpill("empty.run", 1<<10, func(*runfile.Writer) error { return nil }) // in memory
	if err != nil {
		return err
	}
	h := runfile.NewHash()
	h.Write(run.Data)
	a := protocol.Attempt{WorkerID: worker, Kind: protocol.ReduceTask, Task: t.Task, N: t.Attempt}
	req, _ := http.NewRequest(http.MethodPost, wire.ReduceURL(addr, a), bytes.NewReader(run.Data))
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(h.Sum32()), 10))
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), time.Now(), wire.Covered(req.Header, req.ContentLength)...)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upload: %s", resp.Status)
	}
	return nil
}
