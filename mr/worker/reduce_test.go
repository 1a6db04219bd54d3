package worker

// reduce_test.go: the reduce side against a fake coordinator whose
// sources and locations come from a table, with httptest owners.

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// tableCoordinator is fakeCoordinator with the reduce side's calls
// answered from a table: where each map output is (Sources), where it is
// once a reducer failed to fetch it (locate), and what the reducer
// reported.
type tableCoordinator struct {
	*fakeCoordinator
	owners []string             // Sources' owners
	maps   []protocol.MapSource // Sources' map outputs
	locate func(protocol.LocateArgs) *protocol.LocateReply

	// mu guards locates and reduces.
	mu      sync.Mutex
	locates []protocol.LocateArgs
	reduces []protocol.ReportReduceArgs
	batches int // ReportReduces calls
}

func (f *tableCoordinator) Sources(args *protocol.SourcesArgs, _ int) (*protocol.SourcesReply, error) {
	return &protocol.SourcesReply{Version: args.Version, Owners: f.owners, Maps: protocol.PackSources(f.maps)}, nil
}

func (f *tableCoordinator) Locate(args *protocol.LocateArgs) (*protocol.LocateReply, error) {
	f.mu.Lock()
	f.locates = append(f.locates, *args)
	f.mu.Unlock()
	return f.locate(*args), nil
}

func (f *tableCoordinator) ReportReduce(args *protocol.ReportReduceArgs) (*protocol.ReportReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reduces = append(f.reduces, *args)
	return &protocol.ReportReply{Accepted: true}, nil
}

func (f *tableCoordinator) ReportReduces(args *protocol.ReportReducesArgs) (*protocol.ReportReducesReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reduces = append(f.reduces, args.Reports...)
	f.batches++
	reply := &protocol.ReportReducesReply{Accepted: make([]bool, len(args.Reports))}
	for i := range reply.Accepted {
		reply.Accepted[i] = true
	}
	return reply, nil
}

// owner is a worker that ran map tasks 0 and 1 (of 2 reduces) and serves
// their runs from an httptest server; it returns that server's address.
func owner(t *testing.T, app *mr.App) string {
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y x\nz\n", "b.txt": "y z q\n"}}
	w := newTestWorker(t, app, fake)
	for i, f := range []string{"a.txt", "b.txt"} {
		task := fake.splitTask(i, f)
		task.NMap = 2
		w.run(context.Background(), &task)
	}
	if len(fake.maps) != 2 {
		t.Fatalf("the owner committed %d maps, want 2", len(fake.maps))
	}
	srv := httptest.NewServer(w.fileMux())
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// badOwners are run-file servers that fail in each of the ways a reducer
// must survive.
func badOwners(t *testing.T) map[string]string {
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	return map[string]string{
		"refuses": serve(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusInternalServerError) }),
		"garbage": serve(func(w http.ResponseWriter, _ *http.Request) { w.Write(bytes.Repeat([]byte{0xa5, 0x17}, 5000)) }),
		"hangs up": serve(func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}),
		"unreachable": gone,
	}
}

// reduceTask is reduce task 0 of 2 over 2 maps.
func reduceTask() protocol.GetTaskReply {
	return protocol.GetTaskReply{Action: protocol.ActReduce, Task: 0, Attempt: 1, NMap: 2, NReduce: 2, SourcesVersion: 1}
}

// A reducer whose sources name an owner that fails (refuses, answers
// garbage, hangs up, cannot be reached) asks the coordinator where that
// map output is, saying which attempt failed, fetches it from there and
// reports the same output as when every owner serves; when the
// coordinator says the attempt is no longer wanted, it reports nothing,
// and no failure.
func TestReducerSurvivesBadOwners(t *testing.T) {
	app := countWords()
	app.Reduce = func(_ string, vs []string) string { return strings.Repeat("1", len(vs)) }
	good := owner(t, app)
	relocate := func(a protocol.LocateArgs) *protocol.LocateReply {
		return &protocol.LocateReply{Ready: true, Source: protocol.Location{Map: a.Map, Attempt: 1, Addr: good}}
	}
	run := func(t *testing.T, bad string, locate func(protocol.LocateArgs) *protocol.LocateReply) *tableCoordinator {
		fake := &tableCoordinator{fakeCoordinator: &fakeCoordinator{}, owners: []string{good, bad},
			maps: []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 1}}, locate: locate}
		w := newTestWorker(t, app, nil)
		w.coord = fake
		task := reduceTask()
		w.run(context.Background(), &task)
		return fake
	}
	all := run(t, good, relocate)
	if len(all.reduces) != 1 || len(all.locates) != 0 || len(all.reduces[0].Run) == 0 {
		t.Fatalf("every owner serving: %d reports, %d locates", len(all.reduces), len(all.locates))
	}
	want := all.reduces[0]
	for name, bad := range badOwners(t) {
		t.Run(name, func(t *testing.T) {
			fake := run(t, bad, relocate)
			if len(fake.reduces) != 1 || !bytes.Equal(fake.reduces[0].Run, want.Run) || fake.reduces[0].CRC != want.CRC ||
				fake.reduces[0].Read != want.Read {
				t.Fatalf("reports %+v, want one as with every owner serving: %+v", fake.reduces, want)
			}
			if len(fake.locates) == 0 || fake.locates[0].Map != 1 || fake.locates[0].Failed != 1 {
				t.Fatalf("locates %+v, want map 1's attempt 1 reported failed", fake.locates)
			}
			if len(fake.failures) != 0 {
				t.Fatalf("failures reported: %+v", fake.failures)
			}
		})
	}
	t.Run("aborted", func(t *testing.T) {
		fake := run(t, badOwners(t)["refuses"], func(protocol.LocateArgs) *protocol.LocateReply {
			return &protocol.LocateReply{Abort: true}
		})
		if len(fake.reduces) != 0 || len(fake.failures) != 0 || len(fake.locates) != 1 {
			t.Fatalf("an aborted attempt: %d reports, %d failures, %d locates", len(fake.reduces), len(fake.failures),
				len(fake.locates))
		}
	})
}
