// Tests of a split read straight from the coordinator (Fetch), against
// an HTTP server standing in for it.

package executor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// fetchTaskFor describes a map attempt whose split, size bytes, comes
// from a GET of url.
func fetchTaskFor(dir, url, input string, size int64) *Task {
	return &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 2,
		Inputs: []Input{{Name: input, Length: size}},
		Fetch: &Fetch{URL: url, Header: http.Header{"X-Signature": {"sig-of-map-0"}},
			Size: size, Timeout: time.Minute, Stall: time.Minute},
		Out: filepath.Join(dir, "out-"+input), Spill: filepath.Join(dir, "spill-"+input), MapBuffer: 1 << 20}
}

// The app's process sends the request as the worker signed it and maps
// the body: the same output as from a split file.
func TestSplitFetchedByTheAppsProcess(t *testing.T) {
	const contents = "the quick fox\njumps over the lazy dog\nthe end\n"
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.URL.RequestURI() != "/split?attempt=map-0.a1" || r.Method != http.MethodGet {
			http.Error(w, "wrong request "+r.Method+" "+r.URL.RequestURI(), http.StatusBadRequest)
			return
		}
		w.Write([]byte(contents))
	}))
	defer srv.Close()
	dir := t.TempDir()
	res := childForTest(t).Run(context.Background(), fetchTaskFor(dir, srv.URL+"/split?attempt=map-0.a1", "fox.txt", int64(len(contents))), func(int64) {})
	if res.failed() {
		t.Fatalf("fetched split failed: %+v", res)
	}
	if got.Get("X-Signature") != "sig-of-map-0" {
		t.Fatalf("the request carried %v, not the worker's signature", got)
	}
	want := InProcess{App: poisonApp()}.Run(context.Background(), mapTaskFor(t, dir, "fox.txt", contents), func(int64) {})
	if res.Written != want.Written || res.Counters.MapInputBytes != int64(len(contents)) ||
		res.Counters.MapOutputRecords != want.Counters.MapOutputRecords {
		t.Fatalf("fetched: written %d, counters %+v; from a file: written %d, counters %+v",
			res.Written, res.Counters, want.Written, want.Counters)
	}
}

// A split that does not come as asked fails the attempt, as the worker's
// failure (not the app's), naming the coordinator and what was wrong.
func TestSplitFetchFailures(t *testing.T) {
	const size = 100
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/refused":
			http.Error(w, "no such running map attempt", http.StatusConflict)
		case "/short":
			w.Write([]byte(strings.Repeat("a ", size/2-1)))
		case "/long":
			w.Write([]byte(strings.Repeat("a ", size/2+1)))
		default: // "/stall"
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("a b "))
			w.(http.Flusher).Flush()
			<-stall
		}
	}))
	defer srv.Close()
	defer close(stall) // before Close, which waits for the handler
	for _, tc := range []struct{ path, want string }{
		{"/refused", "409 Conflict"},
		{"/short", "got 98 bytes, want 100"},
		{"/long", "got more than 100 bytes"},
		{"/stall", "timeout"},
		{"/unreachable", "connection refused"},
	} {
		for _, inputs := range []int{1, 2} { // 2: streamed
			task := fetchTaskFor(t.TempDir(), srv.URL+tc.path, "in.txt", size)
			if inputs == 2 {
				task.Inputs = []Input{{Name: "a.txt", Length: 60}, {Name: "b.txt", Length: size - 60}}
			}
			if tc.path == "/stall" {
				task.Fetch.Stall = 200 * time.Millisecond // the others must not time out
			}
			if tc.path == "/unreachable" {
				task.Fetch.URL = "http://" + closedAddr(t) + "/split"
			}
			res := InProcess{App: poisonApp()}.Run(context.Background(), task, func(int64) {})
			if !res.failed() || res.App || !strings.Contains(res.Err, "reading the split from the coordinator") ||
				!strings.Contains(res.Err, tc.want) {
				t.Errorf("%s, %d inputs: result %+v, want a failure of the worker's saying %q", tc.path, inputs, res, tc.want)
			}
		}
	}
}

// recordingApp is a word count whose Map sends each call's input name and
// contents to calls.
func recordingApp(calls chan<- [2]string) *mr.App {
	return &mr.App{Name: "recording",
		Map: func(name, contents string) []mr.KeyValue {
			calls <- [2]string{name, contents}
			var kvs []mr.KeyValue
			for _, w := range strings.Fields(contents) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
			}
			return kvs
		},
		Reduce: func(_ string, vs []string) string { return strconv.Itoa(len(vs)) }}
}

// A split of several inputs from the coordinator is mapped as it comes:
// Map is called on the first input while the second has not been sent
// (the server waits for that call), and each call gets its input whole.
func TestSplitStreamedMapsInputsAsTheyArrive(t *testing.T) {
	first, second := strings.Repeat("alpha beta\n", 20_000), strings.Repeat("gamma\n", 30_000)
	calls := make(chan [2]string, 2)
	mapped := make(chan struct{})
	var early atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(first)+len(second)))
		w.Write([]byte(first))
		w.(http.Flusher).Flush()
		select {
		case <-mapped:
			early.Store(true)
		case <-time.After(time.Minute): // a split read whole first never maps before this
		}
		w.Write([]byte(second))
	}))
	defer srv.Close()
	task := fetchTaskFor(t.TempDir(), srv.URL+"/split", "in.txt", int64(len(first)+len(second)))
	task.Inputs = []Input{{Name: "first.txt", Length: int64(len(first))}, {Name: "second.txt", Length: int64(len(second))}}
	var got [][2]string
	done := make(chan Result)
	go func() { done <- InProcess{App: recordingApp(calls)}.Run(context.Background(), task, func(int64) {}) }()
	got = append(got, <-calls)
	close(mapped)
	got = append(got, <-calls)
	res := <-done
	if res.failed() || !early.Load() {
		t.Fatalf("result %+v; Map called on the first input before the second was sent: %v", res, early.Load())
	}
	if got[0] != [2]string{"first.txt", first} || got[1] != [2]string{"second.txt", second} {
		t.Fatalf("Map called with %q (%d bytes), %q (%d bytes)", got[0][0], len(got[0][1]), got[1][0], len(got[1][1]))
	}
	if res.Counters.MapInputBytes != int64(len(first)+len(second)) || res.Counters.MapOutputRecords != 70_000 {
		t.Fatalf("counters %+v", res.Counters)
	}
}

// When Map fails on an input while the rest of a streamed split is still
// coming, the attempt fails as the app's, at once, and the transfer is
// stopped (the server sees its request's end).
func TestSplitStreamStoppedByMapsFailure(t *testing.T) {
	stopped := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "200")
		w.Write([]byte(strings.Repeat("x\n", 50)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(stopped)
	}))
	defer srv.Close()
	task := fetchTaskFor(t.TempDir(), srv.URL+"/split", "in.txt", 200)
	task.Inputs = []Input{{Name: "first.txt", Length: 100}, {Name: "second.txt", Length: 100}}
	app := &mr.App{Name: "failing", Map: func(string, string) []mr.KeyValue { panic("no good") },
		Reduce: func(string, []string) string { return "" }}
	res := InProcess{App: app}.Run(context.Background(), task, func(int64) {})
	if !res.failed() || !res.App || !strings.Contains(res.Err, "no good") {
		t.Fatalf("result %+v, want the app's failure", res)
	}
	<-stopped
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}

// readExactly takes exactly the bytes announced, and says so when there
// are fewer or more.
func TestReadExactly(t *testing.T) {
	for _, tc := range []struct {
		in   string
		size int64
		want string // the error, or "" for in itself
	}{
		{"abc", 3, ""},
		{"", 0, ""},
		{"ab", 3, "got 2 bytes, want 3"},
		{"", 3, "got 0 bytes, want 3"},
		{"abcd", 3, "got more than 3 bytes"},
		{"a", 0, "got more than 0 bytes"},
		{"abc", -1, "a split of -1 bytes"},
	} {
		got, err := readExactly(strings.NewReader(tc.in), tc.size)
		switch {
		case tc.want == "" && (err != nil || got != tc.in):
			t.Errorf("readExactly(%q, %d) = %q, %v", tc.in, tc.size, got, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("readExactly(%q, %d): error %v, want %q", tc.in, tc.size, err, tc.want)
		}
	}
}

// A split of several empty inputs is read as an empty split: nothing to
// stream, and Map is called on each.
func TestSplitOfEmptyInputs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	task := fetchTaskFor(t.TempDir(), srv.URL+"/split", "in.txt", 0)
	task.Inputs = []Input{{Name: "a.txt"}, {Name: "b.txt"}}
	calls := make(chan [2]string, 2)
	res := InProcess{App: recordingApp(calls)}.Run(context.Background(), task, func(int64) {})
	if res.failed() || len(calls) != 2 || res.Counters.MapInputBytes != 0 {
		t.Fatalf("result %+v, %d calls of Map", res, len(calls))
	}
}
