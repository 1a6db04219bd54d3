// A batch of reduce attempts reports what the same attempts report one
// by one, fetching with one request per owner, and each attempt of it
// survives a bad owner or goes stale on its own.

package worker

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// counted serves as addr does, counting the requests and their reduce
// queries; it returns its own address.
func counted(t *testing.T, addr string, n *atomic.Int32, queries *atomic.Value) string {
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		queries.Store(r.URL.Query().Get("reduce"))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestBatchReportsWhatAttemptsAloneReport(t *testing.T) {
	rt := newReducerTest(t)
	var requests atomic.Int32
	var query atomic.Value
	proxied := counted(t, rt.good, &requests, &query)
	rt.locate = func(a protocol.LocateArgs) *protocol.LocateReply {
		if a.Attempt.Task == 1 && a.Attempt.N == 9 {
			return &protocol.LocateReply{Abort: true}
		}
		return &protocol.LocateReply{Ready: true, Source: protocol.Location{Map: a.Map, Attempt: 1, Addr: rt.good}}
	}
	run := func(t *testing.T, second string, task protocol.GetTaskReply, opts ...func(*Config)) *tableCoordinator {
		fake := &tableCoordinator{fakeCoordinator: &fakeCoordinator{}, owners: []string{proxied, second},
			maps: []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 1}}, locate: rt.locate,
			status: rt.status}
		opts = append([]func(*Config){func(c *Config) { c.Secret, c.FetchRetries = []byte(testSecret), 1 }}, opts...)
		w := newTestWorker(t, rt.app, fake, opts...)
		w.run(context.Background(), &task)
		return fake
	}
	alone := make([]protocol.ReportReduceArgs, 2)
	for r := range alone {
		task := reduceTask()
		task.Task = r
		fake := run(t, rt.good, task)
		if len(fake.reduces) != 1 || len(fake.reduces[0].Run) == 0 {
			t.Fatalf("reduce %d alone: %d reports", r, len(fake.reduces))
		}
		alone[r] = fake.reduces[0]
	}
	if bytes.Equal(alone[0].Run, alone[1].Run) {
		t.Fatal("both reduce tasks have the same output: the test cannot tell them apart")
	}
	batch := reduceTask()
	batch.Batch = []protocol.BatchTask{{Task: 1, Attempt: 1}}
	owners := badOwners(t, rt.app, rt.good)
	owners["good"] = rt.good
	stall := func(c *Config) { c.StallTimeout = 300 * time.Millisecond } // as TestReducerSurvivesBadOwners
	for name, second := range owners {
		t.Run(name, func(t *testing.T) {
			var opts []func(*Config)
			if name == "silent" || name == "stalls mid-run" {
				opts = append(opts, stall)
			}
			requests.Store(0)
			fake := run(t, second, batch, opts...)
			if fake.batches != 1 || len(fake.reduces) != 2 || len(fake.failures) != 0 {
				t.Fatalf("%d batch reports, %d reports, %d failures; want 1, 2, 0", fake.batches, len(fake.reduces), len(fake.failures))
			}
			for i, got := range fake.reduces {
				want := alone[i]
				if got.Attempt != want.Attempt || !bytes.Equal(got.Run, want.Run) || got.CRC != want.CRC || got.Read != want.Read {
					t.Errorf("report %d %+v, want as alone: %+v", i, got, want)
				}
			}
			if n := requests.Load(); n != 1 || query.Load() != "0,1" {
				t.Errorf("%d requests to the first owner, the last for reduce=%v; want 1 for 0,1", n, query.Load())
			}
			if name != "good" && !locatedFailed(fake.locates, 1, 1) { // by the attempts whose runs it did not bring
				t.Errorf("locates %+v, want map 1's attempt 1 reported failed", fake.locates)
			}
		})
	}
	// The second owner corrupts the end of what it sends: reduce 1's run
	// of map 1 only. Reduce 1 then locates it and is told it is not
	// wanted: it stops, reduce 0, which has all its runs, is reported.
	t.Run("one aborted", func(t *testing.T) {
		aborting := batch
		aborting.Batch = []protocol.BatchTask{{Task: 1, Attempt: 9}}
		fake := run(t, owners["corrupt"], aborting)
		if fake.batches != 0 || len(fake.reduces) != 1 || fake.reduces[0].Attempt != alone[0].Attempt || len(fake.failures) != 0 {
			t.Fatalf("%d batch reports, reports %+v, %d failures; want reduce 0's alone", fake.batches, fake.reduces, len(fake.failures))
		}
	})
}

func TestBadBatchesRefused(t *testing.T) {
	ok := reduceTask()
	ok.Batch = []protocol.BatchTask{{Task: 1, Attempt: 1}}
	if err := checkAssignment(&ok); err != nil {
		t.Fatalf("a sane batch refused: %v", err)
	}
	big := protocol.GetTaskReply{Action: protocol.ActReduce, Attempt: 1, NReduce: 100}
	for i := range protocol.MaxReduceBatch {
		big.Batch = append(big.Batch, protocol.BatchTask{Task: i + 1, Attempt: 1})
	}
	many := ok
	many.NMap = protocol.MaxBatchRuns/2 + 1
	bad := map[string]protocol.GetTaskReply{"too many": big, "too many runs": many}
	for name, b := range map[string]protocol.BatchTask{"out of range": {Task: 2, Attempt: 1}, "negative": {Task: -1, Attempt: 1},
		"no attempt": {Task: 1, Attempt: 0}, "the first again": {Task: 0, Attempt: 1}} {
		task := reduceTask()
		task.Batch = []protocol.BatchTask{b}
		bad[name] = task
	}
	mapTask := reduceTask()
	mapTask.Action, mapTask.Batch = protocol.ActMap, ok.Batch
	bad["map"] = mapTask
	for name, task := range bad {
		if err := checkAssignment(&task); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The run-file server refuses a batch asking for more frames in all than
// one request may: reduce tasks times map attempts.
func TestRunsServerBoundsBatchFrames(t *testing.T) {
	w := newTestWorker(t, countWords(), &fakeCoordinator{})
	rs := make([]int, protocol.MaxReduceBatch)
	for i := range rs {
		rs[i] = i
	}
	for _, tc := range []struct {
		maps int
		want int
	}{{2, http.StatusOK}, {protocol.MaxRunsFrames/len(rs) + 1, http.StatusBadRequest}} {
		maps := make([]protocol.MapAttempt, tc.maps)
		for i := range maps {
			maps[i] = protocol.MapAttempt{Map: i, Attempt: 1}
		}
		req := httptest.NewRequest(http.MethodPost, protocol.RunsURL("x", rs), bytes.NewReader(protocol.EncodeRunsRequest(maps)))
		rec := httptest.NewRecorder()
		w.fileMux().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%d reduce tasks x %d maps answered %d, want %d", len(rs), tc.maps, rec.Code, tc.want)
		}
	}
}

// movingCoordinator is tableCoordinator whose Sources, once a reducer
// located map 1's output, say it is at good now.
type movingCoordinator struct {
	*tableCoordinator
	good    string
	moved   atomic.Bool
	sources atomic.Int32 // Sources calls
}

func (f *movingCoordinator) Sources(args *protocol.SourcesArgs, n int) (*protocol.SourcesReply, error) {
	f.sources.Add(1)
	if !f.moved.Load() {
		return f.tableCoordinator.Sources(args, n)
	}
	maps := []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 0}}
	return &protocol.SourcesReply{Version: args.Version, Owners: []string{f.good}, Maps: protocol.PackSources(maps)}, nil
}

func (f *movingCoordinator) Locate(args *protocol.LocateArgs) (*protocol.LocateReply, error) {
	f.moved.Store(true)
	return f.tableCoordinator.Locate(args)
}

// Once one attempt of a batch located a lost output, the next ones fetch
// it where it is now: they do not each try the lost owner and ask again.
func TestBatchAttemptsFollowAMovedOutput(t *testing.T) {
	rt := newReducerTest(t)
	fake := &movingCoordinator{good: rt.good, tableCoordinator: &tableCoordinator{fakeCoordinator: &fakeCoordinator{},
		owners: []string{rt.good, badOwners(t, rt.app, rt.good)["refuses"]}, locate: rt.locate, status: rt.status,
		maps: []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 1}}}}
	w := newTestWorker(t, rt.app, fake, func(c *Config) {
		c.Secret, c.FetchRetries, c.FetchParallel = []byte(testSecret), 1, 1 // one attempt fills in at a time
	})
	task := reduceTask()
	task.Batch = []protocol.BatchTask{{Task: 1, Attempt: 1}}
	w.run(context.Background(), &task)
	if fake.batches != 1 || len(fake.reduces) != 2 || len(fake.failures) != 0 {
		t.Fatalf("%d batch reports, %d reports, %d failures; want 1, 2, 0", fake.batches, len(fake.reduces), len(fake.failures))
	}
	if len(fake.locates) != 1 || fake.sources.Load() != 2 {
		t.Fatalf("%d locates and %d Sources calls, want 1 and 2: the second attempt asked again (%+v)",
			len(fake.locates), fake.sources.Load(), fake.locates)
	}
}
