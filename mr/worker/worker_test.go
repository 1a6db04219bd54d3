// worker_test.go: the fake coordinator the worker tests share, and a
// worker running, reporting and dropping its map attempts.

package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/rpc"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
	"mapreduce/mr/executor"
)

// fakeCoordinator plays the coordinator for one worker: it hands out the
// tasks queued in it, then Exit, and records what the worker reports.
type fakeCoordinator struct {
	splits map[string]string // input file -> its text, the whole split
	files  map[int]string    // map task -> its input file

	// mu guards everything below.
	mu       sync.Mutex
	tasks    []protocol.GetTaskReply
	maps     []protocol.ReportMapArgs
	failures []protocol.ReportFailureArgs
	drop     []int // for the next heartbeat
	beats    int
}

func (f *fakeCoordinator) Dial() error     { return nil }
func (f *fakeCoordinator) LocalIP() string { return "127.0.0.1" }
func (f *fakeCoordinator) Now() time.Time  { return time.Now() }
func (f *fakeCoordinator) Close()          {}

func (f *fakeCoordinator) Register(app, addr string, offer *protocol.Offer) (*protocol.RegisterReply, error) {
	return &protocol.RegisterReply{WorkerID: "w1", Partitioning: protocol.Partitioning, NReduce: 2, SplitSize: 1 << 20, HeartbeatEvery: testHeartbeat}, nil
}

func (f *fakeCoordinator) Heartbeat(args *protocol.HeartbeatArgs) (*protocol.HeartbeatReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.beats++
	reply := &protocol.HeartbeatReply{Drop: f.drop}
	f.drop = nil
	return reply, nil
}

func (f *fakeCoordinator) GetTask(*protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tasks) == 0 {
		return &protocol.GetTaskReply{Action: protocol.ActExit}, nil
	}
	t := f.tasks[0]
	f.tasks = f.tasks[1:]
	return &t, nil
}

func (f *fakeCoordinator) ReportMap(args *protocol.ReportMapArgs) (*protocol.ReportReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maps = append(f.maps, *args)
	return &protocol.ReportReply{Accepted: true}, nil
}

// ExtendMap hands out no part: the fake's tasks absorb none.
func (f *fakeCoordinator) ExtendMap(*protocol.ExtendMapArgs) (*protocol.ExtendMapReply, error) {
	return &protocol.ExtendMapReply{OK: true}, nil
}

func (f *fakeCoordinator) ReportFailure(args *protocol.ReportFailureArgs) (*protocol.ReportReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, *args)
	return &protocol.ReportReply{Accepted: true}, nil
}

func (f *fakeCoordinator) Sources(*protocol.SourcesArgs, int) (*protocol.SourcesReply, error) {
	return nil, rpc.ServerError("no sources in this fake")
}

func (f *fakeCoordinator) Locate(*protocol.LocateArgs) (*protocol.LocateReply, error) {
	return &protocol.LocateReply{Abort: true}, nil
}

func (f *fakeCoordinator) Hold(*protocol.HoldArgs) (*protocol.HoldReply, error) {
	return &protocol.HoldReply{}, nil
}

func (f *fakeCoordinator) Split(_ context.Context, a protocol.Attempt, _ string, _ int64, w io.Writer) error {
	_, err := io.WriteString(w, f.splits[f.files[a.Task]])
	return err
}

func (f *fakeCoordinator) SplitFetch(protocol.Attempt, int64, time.Duration, time.Duration) *executor.Fetch {
	return nil // splits come through Split
}

func (f *fakeCoordinator) Upload(context.Context, protocol.Attempt, runfile.Segment, upload) (int, error) {
	return 409, nil
}

func (f *fakeCoordinator) Leave(string) error              { return nil }
func (f *fakeCoordinator) Job() (*protocol.JobInfo, error) { return &protocol.JobInfo{}, nil }

func (f *fakeCoordinator) ReportReduce(*protocol.ReportReduceArgs) (*protocol.ReportReply, error) {
	return &protocol.ReportReply{}, nil // stale, as Upload's 409
}

func (f *fakeCoordinator) ReportReduces(args *protocol.ReportReducesArgs) (*protocol.ReportReducesReply, error) {
	return &protocol.ReportReducesReply{Accepted: make([]bool, len(args.Reports))}, nil // stale
}

// newTestWorker is a worker of app talking to fake, configured as
// testConfig and then by opts.
func newTestWorker(t *testing.T, app *mr.App, fake coordinator, opts ...func(*Config)) *Worker {
	t.Helper()
	cfg := testConfig(t)
	cfg.App, cfg.Executor = app.Name, executor.InProcess{App: app}
	for _, o := range opts {
		o(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.coord = fake
	t.Cleanup(func() { w.Close() })
	return w
}

// testConfig is a worker's configuration in tests: no log. (The fake
// coordinators ask for a heartbeat every testHeartbeat.)
func testConfig(t *testing.T) Config {
	return Config{Coordinator: "127.0.0.1:1", Listen: "127.0.0.1:0", Dir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// testHeartbeat is how often the fake coordinators ask for heartbeats.
const testHeartbeat = int64(10 * time.Millisecond)

func (f *fakeCoordinator) splitTask(task int, file string) protocol.GetTaskReply {
	if f.files == nil {
		f.files = make(map[int]string)
	}
	f.files[task] = file
	return protocol.GetTaskReply{Action: protocol.ActMap, Task: task, Attempt: 1, NMap: 3, NReduce: 2,
		Inputs: []protocol.Split{{File: file, Length: int64(len(f.splits[file]))}}}
}

func countWords() *mr.App {
	return &mr.App{Name: "wc", Reduce: func(string, []string) string { return "" },
		Map: func(_, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, w := range strings.Fields(contents) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
			}
			return kvs
		}}
}

// A worker runs the map attempts it is given and reports each, with its
// counters and the size of its output, then leaves when told to; a
// nonsensical assignment is reported as the worker's own failure, and an
// app that panics as the app's.
func TestWorkerRunsAndReportsItsAttempts(t *testing.T) {
	app := countWords()
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		if name == "poison.txt" {
			panic("poisoned")
		}
		return mapFn(name, contents)
	}
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y\nz\n", "poison.txt": "p\n"}}
	bad := fake.splitTask(7, "a.txt") // task 7 of 3
	fake.tasks = []protocol.GetTaskReply{fake.splitTask(0, "a.txt"), bad, fake.splitTask(2, "poison.txt")}
	w := newTestWorker(t, app, fake)
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(fake.maps) != 1 {
		t.Fatalf("%d map reports, want 1", len(fake.maps))
	}
	r := fake.maps[0]
	if r.Attempt != (protocol.Attempt{WorkerID: "w1", Kind: protocol.MapTask, Task: 0, N: 1}) || r.NReduce != 2 || r.Read != 6 ||
		r.Counters.MapInputRecords != 2 || r.Counters.MapOutputRecords != 3 || r.Written <= 0 {
		t.Fatalf("map report %+v", r)
	}
	if st, err := os.Stat(runPath(w.dir, 0, 1)); err != nil || st.Size() != r.Written {
		t.Fatalf("the output's size is not the one reported: %v", err)
	}
	if len(fake.failures) != 2 || fake.failures[0].Class != protocol.FailWorker ||
		fake.failures[1].Class != protocol.FailApp || !strings.Contains(fake.failures[1].Err, "poisoned") {
		t.Fatalf("failures %+v", fake.failures)
	}
}

// Outputs the coordinator says nobody needs are deleted.
func TestWorkerDropsOutputsNobodyNeeds(t *testing.T) {
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x\n", "b.txt": "y\n"}}
	w := newTestWorker(t, countWords(), fake)
	ctx := context.Background()
	for i, f := range []string{"a.txt", "b.txt"} {
		task := fake.splitTask(i, f)
		w.run(ctx, &task)
	}
	w.drop([]int{0})
	if _, err := os.Stat(runPath(w.dir, 0, 1)); !os.IsNotExist(err) {
		t.Fatalf("dropped output still there: %v", err)
	}
	if _, err := os.Stat(runPath(w.dir, 1, 1)); err != nil {
		t.Fatalf("kept output gone: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(w.dir, "split-*")); len(left) > 0 {
		t.Fatalf("splits left: %v", left)
	}
}

// forgetting is a coordinator that forgets the worker (it restarts)
// while the worker reports a map: the report is cut short.
type forgetting struct {
	*fakeCoordinator
	cancel context.CancelFunc
}

func (f forgetting) ReportMap(*protocol.ReportMapArgs) (*protocol.ReportReply, error) {
	f.cancel() // the worker hears it was forgotten: its attempt stops
	return nil, errors.New("connection reset by peer")
}

// A map output whose report was cut short (the coordinator restarted
// meanwhile) is kept and offered back at the next registration, which
// decides: kept if taken back, deleted if not.
func TestWorkerOffersBackAnOutputWhoseReportWasCutShort(t *testing.T) {
	for _, adopted := range []bool{true, false} {
		fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y\n"}}
		w := newTestWorker(t, countWords(), fake)
		ctx, cancel := context.WithCancel(context.Background())
		w.coord = forgetting{fake, cancel}
		w.sess.id, w.sess.job = "w1", "job1"
		task := fake.splitTask(0, "a.txt")
		w.run(ctx, &task)
		if _, err := os.Stat(runPath(w.dir, 0, 1)); err != nil {
			t.Fatalf("the output whose report was cut short is gone: %v", err)
		}
		if o := w.offer(); o == nil || len(o.Maps) != 1 || o.Maps[0] != (protocol.MapAttempt{Map: 0, Attempt: 1}) {
			t.Fatalf("offer %+v, want map 0's attempt 1", o)
		}
		var back []protocol.MapAttempt
		if adopted {
			back = []protocol.MapAttempt{{Map: 0, Attempt: 1}}
		}
		w.keepAdopted(back)
		if _, err := os.Stat(runPath(w.dir, 0, 1)); (err == nil) != adopted {
			t.Fatalf("taken back %v: the output's stat says %v", adopted, err)
		}
	}
}
