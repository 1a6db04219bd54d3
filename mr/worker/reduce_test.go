// reduce_test.go: the reduce side against a fake coordinator whose
// sources, locations and uploads come from a table, with httptest
// servers as the map outputs' owners, good and bad.

package worker

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// tableCoordinator is fakeCoordinator with the reduce side's calls
// answered from a table: where each map output is (Sources), where it is
// once a reducer failed to fetch it (locate), the status of each upload
// in turn (the last one repeated); it records what the reducer asked and
// sent.
type tableCoordinator struct {
	*fakeCoordinator
	owners []string             // Sources' owners
	maps   []protocol.MapSource // Sources' map outputs
	locate func(protocol.LocateArgs) *protocol.LocateReply
	status []int // Upload's answers

	// mu guards locates, reduces and uploads.
	mu      sync.Mutex
	locates []protocol.LocateArgs
	reduces []protocol.ReportReduceArgs
	batches int // ReportReduces calls
	uploads [][]byte
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

// Upload records the output sent, checked against the size and CRC
// announced, and answers the next status of the table.
func (f *tableCoordinator) Upload(_ context.Context, _ protocol.Attempt, out runfile.Segment, up upload) (int, error) {
	b := out.Data
	if out.Path != "" {
		var err error
		if b, err = os.ReadFile(out.Path); err != nil {
			return 0, err
		}
	}
	h := runfile.NewHash()
	h.Write(b)
	if int64(len(b)) != up.size || h.Sum32() != up.crc {
		return http.StatusBadRequest, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads = append(f.uploads, b)
	return f.status[min(len(f.uploads), len(f.status))-1], nil
}

const testSecret = "the job secret"

// owner is a worker with secret, configured by opts too, that ran map
// tasks 0 and 1 (of 2 reduces) and serves their runs from an httptest
// server; it returns that server's address.
func owner(t *testing.T, app *mr.App, secret string, opts ...func(*Config)) string {
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y x\nz\n", "b.txt": "y z q\n"}}
	w := newTestWorker(t, app, fake, append([]func(*Config){func(c *Config) { c.Secret = []byte(secret) }}, opts...)...)
	for i, f := range []string{"a.txt", "b.txt"} {
		task := fake.splitTask(i, f)
		task.NMap = 2
		w.run(context.Background(), &task)
	}
	if len(fake.maps) != 2 {
		t.Fatalf("the owner committed %d maps, want 2", len(fake.maps))
	}
	return serve(t, w.fileMux())
}

// serve serves h from an httptest server until the test ends, and
// returns its address.
func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// badOwners are run-file servers that fail in each of the ways a reducer
// must survive; some pass the request on to good and spoil its answer.
func badOwners(t *testing.T, app *mr.App, good string) map[string]string {
	stop := make(chan struct{}) // ends the handlers that hang, before their servers close
	hang := func(r *http.Request) {
		io.Copy(io.Discard, r.Body) // read: the server then hears the reducer hang up
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	defer t.Cleanup(func() { close(stop) })
	return map[string]string{
		"unreachable":  gone,
		"refuses":      serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", 500) })),
		"wrong secret": owner(t, app, "another secret"),
		"garbage": serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write(bytes.Repeat([]byte{0xa5, 0x17}, 5000))
		})),
		"hangs up": serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		})),
		"truncated": serve(t, relay(t, good, func(w http.ResponseWriter, _ *http.Request, b []byte) { w.Write(b[:len(b)/2]) })),
		"corrupt": serve(t, relay(t, good, func(w http.ResponseWriter, _ *http.Request, b []byte) {
			b[len(b)-12] ^= 1
			w.Write(b)
		})),
		"oversized": serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write(protocol.AppendRunsFrame(nil, protocol.MapAttempt{Map: 1, Attempt: 1}, 2<<40))
			w.Write(make([]byte, 4096))
		})),
		"a list of 4 billion runs": serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write(protocol.AppendRunsFrame(nil, protocol.MapAttempt{Map: 1, Attempt: 1}, 1<<20))
			w.Write(append([]byte("MRL1"), 0xff, 0xff, 0xff, 0xff))
			w.Write(make([]byte, 1<<20-8))
		})),
		"another map's run": serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write(protocol.AppendRunsFrame(nil, protocol.MapAttempt{Map: 0, Attempt: 1}, 0))
		})),
		"silent": serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hang(r) })),
		"stalls mid-run": serve(t, relay(t, good, func(w http.ResponseWriter, r *http.Request, b []byte) {
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			hang(r)
		})),
	}
}

// relay passes a run-file request on to good, and has f answer with
// what good answered, b.
func relay(t *testing.T, good string, f func(w http.ResponseWriter, r *http.Request, b []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		req, err := http.NewRequest(r.Method, "http://"+good+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || len(b) < 16 {
			t.Errorf("the good owner answered %s, %d bytes: %v", resp.Status, len(b), err)
			return
		}
		f(w, r, b)
	}
}

// reduceTask is reduce task 0 of 2 over 2 maps.
func reduceTask() protocol.GetTaskReply {
	return protocol.GetTaskReply{Action: protocol.ActReduce, Task: 0, Attempt: 1, NMap: 2, NReduce: 2, SourcesVersion: 1}
}

// reducerTest runs reduce task 0 against owners: map 0 at good, map 1 at
// second.
type reducerTest struct {
	app    *mr.App
	good   string
	locate func(protocol.LocateArgs) *protocol.LocateReply
	status []int // the uploads' answers
	opts   []func(*Config)
}

// run runs the reduce attempt with map 1 at second, configured by opts
// too, and returns what the coordinator heard.
func (r reducerTest) run(t *testing.T, second string, opts ...func(*Config)) *tableCoordinator {
	fake := &tableCoordinator{fakeCoordinator: &fakeCoordinator{}, owners: []string{r.good, second},
		maps: []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 1}}, locate: r.locate,
		status: r.status}
	opts = append([]func(*Config){func(c *Config) { c.Secret, c.FetchRetries = []byte(testSecret), 1 }}, append(r.opts, opts...)...)
	w := newTestWorker(t, r.app, fake, opts...)
	task := reduceTask()
	w.run(context.Background(), &task)
	w.waitUpload()
	return fake
}

// newReducerTest has a good owner of both maps; a failed fetch is
// located there.
func newReducerTest(t *testing.T) reducerTest {
	app := countWords()
	app.Reduce = func(_ string, vs []string) string { return strings.Repeat("1", len(vs)) }
	good := owner(t, app, testSecret)
	return reducerTest{app: app, good: good, status: []int{http.StatusOK},
		locate: func(a protocol.LocateArgs) *protocol.LocateReply {
			return &protocol.LocateReply{Ready: true, Source: protocol.Location{Map: a.Map, Attempt: 1, Addr: good}}
		}}
}

// A reducer whose sources name an owner that fails (cannot be reached,
// refuses, has another secret, answers garbage, hangs up, sends a
// truncated, corrupt, oversized or another map's run, or a run list of
// absurdly many runs, answers nothing, stalls mid-run) asks the coordinator where that map output is, saying
// which attempt failed, fetches it from there and reports the same
// output as when every owner serves; when the coordinator says the
// attempt is no longer wanted, it reports nothing, and no failure.
func TestReducerSurvivesBadOwners(t *testing.T) {
	rt := newReducerTest(t)
	all := rt.run(t, rt.good)
	if len(all.reduces) != 1 || len(all.locates) != 0 || len(all.reduces[0].Run) == 0 {
		t.Fatalf("every owner serving: %d reports, %d locates", len(all.reduces), len(all.locates))
	}
	want := all.reduces[0]
	// An owner that stalls is given up on after StallTimeout: short
	// here, and only here, as a loaded machine may stall a good owner.
	stall := func(c *Config) { c.StallTimeout = 300 * time.Millisecond }
	for name, bad := range badOwners(t, rt.app, rt.good) {
		t.Run(name, func(t *testing.T) {
			var opts []func(*Config)
			if name == "silent" || name == "stalls mid-run" {
				opts = append(opts, stall)
			}
			fake := rt.run(t, bad, opts...)
			if len(fake.reduces) != 1 || !bytes.Equal(fake.reduces[0].Run, want.Run) || fake.reduces[0].CRC != want.CRC ||
				fake.reduces[0].Read != want.Read {
				t.Fatalf("reports %+v, want one as with every owner serving: %+v", fake.reduces, want)
			}
			if !locatedFailed(fake.locates, 1, 1) {
				t.Fatalf("locates %+v, want map 1's attempt 1 reported failed", fake.locates)
			}
			if len(fake.failures) != 0 {
				t.Fatalf("failures reported: %+v", fake.failures)
			}
		})
	}
	t.Run("aborted", func(t *testing.T) {
		rt := rt
		rt.locate = func(protocol.LocateArgs) *protocol.LocateReply { return &protocol.LocateReply{Abort: true} }
		fake := rt.run(t, badOwners(t, rt.app, rt.good)["refuses"])
		if len(fake.reduces) != 0 || len(fake.failures) != 0 || len(fake.locates) != 1 {
			t.Fatalf("an aborted attempt: %d reports, %d failures, %d locates", len(fake.reduces), len(fake.failures),
				len(fake.locates))
		}
	})
}

// locatedFailed reports whether a Locate said map m's attempt n failed.
func locatedFailed(locates []protocol.LocateArgs, m, n int) bool {
	for _, l := range locates {
		if l.Map == m && l.Failed == n {
			return true
		}
	}
	return false
}

// A reduce output too large for its report is uploaded, with the size
// and CRC of the bytes sent, and those bytes are the output the report
// would have carried; an upload the coordinator fails is tried again up
// to FetchRetries times, one it calls stale (409) is not, and none is
// reported as the attempt's failure.
func TestReducerUploadsItsOutput(t *testing.T) {
	rt := newReducerTest(t)
	want := rt.run(t, rt.good).reduces[0].Run
	for _, tt := range []struct {
		name    string
		status  []int
		uploads int
	}{
		{"committed", []int{200}, 1},
		{"retried", []int{503, 200}, 2},
		{"stale", []int{409}, 1},
		{"given up", []int{503}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := rt
			rt.status = tt.status
			rt.opts = []func(*Config){func(c *Config) { c.inlineReduce, c.FetchRetries = -1, 2 }}
			fake := rt.run(t, rt.good)
			if len(fake.uploads) != tt.uploads || len(fake.reduces) != 0 || len(fake.failures) != 0 {
				t.Fatalf("%d uploads, %d reports, %d failures; want %d uploads only", len(fake.uploads), len(fake.reduces),
					len(fake.failures), tt.uploads)
			}
			for _, b := range fake.uploads {
				if !bytes.Equal(b, want) {
					t.Fatalf("uploaded %q, want %q", b, want)
				}
			}
		})
	}
}

// Map outputs that spilled, each partition several runs (a run list on
// the wire), give the reducer the output of outputs that did not, fetched
// from their owner or read in place by a reducer that owns them, and a
// list damaged on the way is refused and fetched again elsewhere.
func TestReducerFetchesSpilledOutputs(t *testing.T) {
	rt := newReducerTest(t)
	want := rt.run(t, rt.good).reduces[0]
	spilled := owner(t, rt.app, testSecret, func(c *Config) { c.MapBuffer = 1 }) // a spill per record
	rt.good = spilled
	bad := badOwners(t, rt.app, spilled)
	for _, second := range []string{spilled, bad["corrupt"], bad["truncated"]} {
		if got := rt.run(t, second); len(got.reduces) != 1 || !bytes.Equal(got.reduces[0].Run, want.Run) {
			t.Fatalf("from %s: reports %+v, want %q", second, got.reduces, want.Run)
		}
	}
	w, table := ownerReducer(t, rt.app, func(c *Config) { c.MapBuffer = 1 })
	var runs int
	w.ownRuns([]protocol.MapAttempt{{Map: 0, Attempt: 1}}, 0, func(_ protocol.MapAttempt, seg runfile.Segment, _ error) {
		runs = len(seg.Runs)
	})
	if runs < 2 {
		t.Fatalf("map 0's partition 0 in %d runs, want several", runs)
	}
	task := reduceTask()
	w.run(context.Background(), &task)
	if len(table.reduces) != 1 || !bytes.Equal(table.reduces[0].Run, want.Run) {
		t.Fatalf("in place: reports %+v, want %q", table.reduces, want.Run)
	}
}

// ownerReducer is a worker, configured by opts, that ran map tasks 0 and
// 1 (of 2 reduces) and reduces against its own outputs: its sources name
// its own advertised address, which nothing listens on, and a locate is
// answered with an abort.
func ownerReducer(t *testing.T, app *mr.App, opts ...func(*Config)) (*Worker, *tableCoordinator) {
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y x\nz\n", "b.txt": "y z q\n"}}
	w := newTestWorker(t, app, fake, opts...)
	for i, f := range []string{"a.txt", "b.txt"} {
		task := fake.splitTask(i, f)
		task.NMap = 2
		w.run(context.Background(), &task)
	}
	self := "127.0.0.1:1"
	w.sess.addr = self
	table := &tableCoordinator{fakeCoordinator: fake, owners: []string{self},
		maps:   []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 0}},
		locate: func(protocol.LocateArgs) *protocol.LocateReply { return &protocol.LocateReply{Abort: true} }}
	w.coord = table
	return w, table
}

// pipeCoordinator is a tableCoordinator that hands out tasks in turn,
// records what each GetTask says the worker is committing, and holds the
// first upload until release is closed.
type pipeCoordinator struct {
	*tableCoordinator
	release   chan struct{}
	asked     chan []protocol.Attempt // each GetTask's Committing
	heldFirst sync.Once
}

func (p *pipeCoordinator) GetTask(args *protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	p.asked <- args.Committing
	return p.fakeCoordinator.GetTask(args)
}

func (p *pipeCoordinator) Upload(ctx context.Context, a protocol.Attempt, out runfile.Segment, up upload) (int, error) {
	p.heldFirst.Do(func() { <-p.release })
	return p.tableCoordinator.Upload(ctx, a, out, up)
}

// A large reduce output is uploaded while the worker asks for, and runs,
// its next attempt, saying which output is on its way; the next upload
// waits for the first, and both arrive.
func TestReducerUploadsWhileItGoesOn(t *testing.T) {
	rt := newReducerTest(t)
	second := reduceTask()
	second.Task = 1
	fake := &pipeCoordinator{release: make(chan struct{}), asked: make(chan []protocol.Attempt, 8),
		tableCoordinator: &tableCoordinator{fakeCoordinator: &fakeCoordinator{tasks: []protocol.GetTaskReply{reduceTask(), second}},
			owners: []string{rt.good}, maps: []protocol.MapSource{{Map: 0, Attempt: 1, Owner: 0}, {Map: 1, Attempt: 1, Owner: 0}},
			locate: rt.locate, status: []int{http.StatusOK}}}
	w := newTestWorker(t, rt.app, fake, func(c *Config) { c.Secret, c.inlineReduce = []byte(testSecret), -1 })
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	release := sync.OnceFunc(func() { close(fake.release) })
	defer release() // on a failure too, so that the worker ends
	if got := <-fake.asked; len(got) != 0 {
		t.Fatalf("the first GetTask says %v is committing", got)
	}
	var got []protocol.Attempt
	select {
	case got = <-fake.asked: // asked while the first upload is held
	case <-time.After(time.Minute):
		t.Fatal("no second GetTask while the first upload was held")
	}
	release()
	if len(got) != 1 || got[0].Kind != protocol.ReduceTask || got[0].Task != 0 || got[0].N != 1 {
		t.Fatalf("the second GetTask says %v is committing, want reduce-0.a1", got)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(fake.uploads) != 2 || len(fake.failures) != 0 {
		t.Fatalf("%d uploads, failures %+v; want 2", len(fake.uploads), fake.failures)
	}
}

// A reducer that is itself an owner reads its own runs from its files,
// not over HTTP: its sources may name its own address, which nothing
// listens on.
func TestReducerReadsItsOwnRuns(t *testing.T) {
	rt := newReducerTest(t)
	want := rt.run(t, rt.good).reduces[0]
	w, table := ownerReducer(t, rt.app)
	task := reduceTask()
	w.run(context.Background(), &task)
	if len(table.reduces) != 1 || !bytes.Equal(table.reduces[0].Run, want.Run) || len(table.locates) != 0 {
		t.Fatalf("reports %+v and %d locates, want the output of two owners, and no locate", table.reduces, len(table.locates))
	}
}

// The runs of the maps a reducer serves itself are read where they lie,
// in its own sections files, not copied; a map it does not serve, or
// whose run is damaged, is left to be fetched.
func TestReducerReadsItsOwnRunsInPlace(t *testing.T) {
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y x\nz\n", "b.txt": "y z q\n"}}
	w := newTestWorker(t, newReducerTest(t).app, fake)
	for i, f := range []string{"a.txt", "b.txt"} {
		task := fake.splitTask(i, f)
		task.NMap = 2
		w.run(context.Background(), &task)
	}
	maps := []protocol.MapAttempt{{Map: 0, Attempt: 1}, {Map: 1, Attempt: 1}, {Map: 2, Attempt: 1}}
	var segs []runfile.Segment
	rest := w.ownRuns(maps, 0, func(m protocol.MapAttempt, seg runfile.Segment, err error) {
		if err != nil || seg.Path != runPath(w.dir, m.Map, m.Attempt) {
			t.Errorf("map %d: %+v, %v; want its run in its sections file", m.Map, seg, err)
		}
		segs = append(segs, seg)
	})
	if len(segs) != 2 || len(rest) != 1 || rest[0].Map != 2 {
		t.Fatalf("%d runs in place, %v left, want 2 and map 2", len(segs), rest)
	}
	runs, closeAll, err := runfile.OpenSegments(segs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	m := runfile.NewMerger(runs)
	n := 0
	for m.Next() {
		n++
	}
	if err := m.Err(); err != nil || n == 0 {
		t.Fatalf("reading the runs in place: %d records, %v", n, err)
	}
	// A damaged run is fetched as any other, which locates it again.
	data, err := os.ReadFile(segs[1].Path)
	if err != nil {
		t.Fatal(err)
	}
	data[segs[1].Off+segs[1].Size/2] ^= 0xff
	if err := os.WriteFile(segs[1].Path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if rest := w.ownRuns(maps[:2], 0, func(protocol.MapAttempt, runfile.Segment, error) {}); len(rest) != 1 || rest[0].Map != 1 {
		t.Fatalf("with map 1's run damaged, %v left to fetch, want map 1", rest)
	}
}

// Merge passes change nothing: a reducer merging its runs two at a time
// (several passes over five map outputs) reports what one merging them
// all at once reports, values still in map order.
func TestReducerMergePasses(t *testing.T) {
	splits := map[string]string{"a.txt": "x y x\nz\n", "b.txt": "y z q\n", "c.txt": "q q x\n", "d.txt": "z\n", "e.txt": "x y\n"}
	names := []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"}
	app := &mr.App{Name: "where",
		Map: func(name, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, w := range strings.Fields(contents) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: name})
			}
			return kvs
		},
		Reduce: func(_ string, vs []string) string { return strings.Join(vs, ",") }}
	reduce := func(fanIn int) []byte {
		fake := &fakeCoordinator{splits: splits}
		w := newTestWorker(t, app, fake, func(c *Config) { c.mergeFanIn = fanIn })
		var maps []protocol.MapSource
		for i, f := range names {
			task := fake.splitTask(i, f)
			task.NMap = len(names)
			w.run(context.Background(), &task)
			maps = append(maps, protocol.MapSource{Map: i, Attempt: 1, Owner: 0})
		}
		self := "127.0.0.1:1" // it reads its own runs
		w.sess.addr = self
		table := &tableCoordinator{fakeCoordinator: fake, owners: []string{self}, maps: maps,
			locate: func(protocol.LocateArgs) *protocol.LocateReply { return &protocol.LocateReply{Abort: true} }}
		w.coord = table
		task := reduceTask()
		task.NMap = len(names)
		w.run(context.Background(), &task)
		if len(table.reduces) != 1 || len(table.failures) != 0 {
			t.Fatalf("fan-in %d: %d reports, failures %+v", fanIn, len(table.reduces), table.failures)
		}
		return table.reduces[0].Run
	}
	want, got := reduce(64), reduce(2)
	if !bytes.Equal(got, want) || len(want) == 0 {
		t.Fatalf("merged two at a time: %q, want %q", got, want)
	}
}

// An output the executor summed as it wrote it is uploaded with that sum,
// without reading it again; one it did not is read.
func TestChecksumTakesTheExecutorsSum(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	size, crc, err := checksum(runfile.Segment{Path: gone, Size: 10, CRC: 0x1234, Summed: true})
	if err != nil || size != 10 || crc != 0x1234 {
		t.Fatalf("summed output: %d bytes, crc %08x, %v", size, crc, err)
	}
	if _, _, err := checksum(runfile.Segment{Path: gone, Size: 10}); err == nil {
		t.Fatal("an output not summed, and gone, was not read")
	}
}
