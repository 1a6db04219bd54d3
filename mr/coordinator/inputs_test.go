// inputs_test.go: inputs where they live: GET /split serves only the
// files the job listed, inputs are described when wanted, Hold takes
// only the job's inputs.

package coordinator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/readahead"
	"mapreduce/mr/scheduler"
)

// serve is what sendPiece makes of piece p: the bytes sent, or the error
// that ends the job.
func serve(c *Coordinator, p protocol.Split) (string, error) {
	var out bytes.Buffer
	err := c.sendPiece(&out, p)
	return out.String(), err
}

// The coordinator serves an input only from the file the job listed: a
// name swapped for a link to a private file is refused, even with that
// file's size and time (issue 24); and, once its inputs are described,
// a file edited in place, size and time kept, is refused too: its blocks
// no longer match.
func TestSendPieceOnlyFromTheFileListed(t *testing.T) {
	for _, how := range []string{"symlink", "renamed over", "edited in place"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			private := filepath.Join(dir, "private.txt")
			os.WriteFile(private, []byte("zanzibar quixotic\n"), 0o600)
			st, _ := os.Stat(private)
			decoy := filepath.Join(dir, "decoy.txt")
			os.WriteFile(decoy, []byte("ordinary words!!\n\n"), 0o644)
			os.Chtimes(decoy, st.ModTime(), st.ModTime())
			cfg := testConfig(t.TempDir())
			cfg.blockSize = 512
			c, err := New(cfg, []string{decoy})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.front.ln.Close() })
			p := c.tasks[0][0]
			if how == "edited in place" {
				c.in.wanted()
				go c.describeInputs()
				<-c.in.described
				if c.in.describedAs(0) == nil {
					t.Fatal("decoy.txt not described")
				}
			}
			if got, err := serve(c, p); err != nil || got != "ordinary words!!\n\n" {
				t.Fatalf("before: %q, %v", got, err)
			}
			switch how {
			case "symlink":
				os.Remove(decoy)
				os.Symlink(private, decoy)
			case "renamed over":
				os.Rename(private, decoy)
			default:
				os.WriteFile(decoy, []byte("zanzibar quixotic\n"), 0o644)
				os.Chtimes(decoy, st.ModTime(), st.ModTime())
			}
			got, err := serve(c, p)
			if err == nil || !strings.Contains(err.Error(), decoy) || strings.Contains(got, "zanzibar") {
				t.Fatalf("after: sent %q, %v", got, err)
			}
		})
	}
}

// Inputs are described only once a worker says it holds one: a job whose
// workers hold no data reads nothing more than before.
func TestInputsDescribedOnlyWhenWanted(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir()))
	go c.describeInputs()
	select {
	case <-c.in.described:
		t.Fatal("inputs described with no worker holding any")
	default:
	}
	if c.in.describedAs(0) != nil {
		t.Fatal("an input described with no worker holding any")
	}
	c.in.wanted()
	<-c.in.described
	if f := c.in.describedAs(1); f == nil || f.Name != "in-1.txt" || f.Size != c.in.sizes[1] {
		t.Fatalf("in-1.txt described as %+v", f)
	}
	close(c.life.stop)
}

// GET /split's choice of pieces is bounded by the task's input: a worker
// names pieces and a skip within it, or is refused.
func TestSelectPieces(t *testing.T) {
	all := []protocol.Split{{File: "a", Offset: 0, Length: 10}, {File: "b", Offset: 0, Length: 5}, {File: "c", Offset: 100, Length: 7}}
	get := func(query string) ([]protocol.Split, error) {
		r := httptest.NewRequest("GET", "/split?worker=w1&task=0&attempt=1"+query, nil)
		return selectPieces(all, r)
	}
	if got, err := get(""); err != nil || len(got) != 3 {
		t.Fatalf("whole input: %v, %v", got, err)
	}
	got, err := get(protocol.SplitPieceQuery(1, 2, 2))
	if err != nil || len(got) != 2 || got[0] != (protocol.Split{File: "b", Offset: 2, Length: 3}) || got[1] != all[2] {
		t.Fatalf("pieces 1 and 2 from 2 bytes in: %v, %v", got, err)
	}
	if all[1].Offset != 0 {
		t.Fatal("the task's own pieces were changed")
	}
	for _, q := range []string{"&piece=3&skip=0&count=1", "&piece=-1&skip=0&count=1", "&piece=0&skip=11&count=1",
		"&piece=0&skip=-1&count=1", "&piece=2&skip=0&count=2", "&piece=0&skip=0&count=0", "&piece=0&skip=0",
		"&piece=1&skip=0&count=9223372036854775807"} {
		if got, err := get(q); err == nil {
			t.Errorf("query %s accepted: %v", q, got)
		}
	}
}

// Once a GET /split is sent, the coordinator reads ahead the split the
// scheduler guesses is asked for next (scheduler.NextMap), each split
// once: for a whole split only; in a map-only job, the next task's, never
// past the last.
func TestNextSplitIsTheSchedulersGuess(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir())) // 2 small map tasks: none absorbs
	name := func(s []protocol.Split) string {
		if len(s) == 0 {
			return ""
		}
		return filepath.Base(s[0].File)
	}
	for _, tc := range []struct {
		task  int
		whole bool
		want  string
	}{{0, true, "in-1.txt"}, {1, true, "in-0.txt"}, {0, false, ""}, {0, true, ""}} { // each guessed once
		if got := name(c.nextSplit(tc.task, tc.whole)); got != tc.want {
			t.Errorf("task %d, whole %t: next split %q, want %q", tc.task, tc.whole, got, tc.want)
		}
	}
	c.model.mapOnly = true
	if got := name(c.nextSplit(0, true)); got != "in-1.txt" {
		t.Errorf("map-only, task 0: next split %q, want in-1.txt", got)
	}
	if got := name(c.nextSplit(1, true)); got != "" {
		t.Errorf("map-only, the last task: next split %q, want none", got)
	}
}

// Once a split is sent, the next task's split is asked of the device: it
// comes into the page cache with nothing reading it (skipped where the
// file system keeps its files cached, or the cache cannot be asked).
func TestSentSplitReadsTheNextAhead(t *testing.T) {
	dir := t.TempDir()
	line := []byte("alpha beta gamma\n")
	var inputs []string
	for i := range 2 {
		path := filepath.Join(dir, fmt.Sprintf("in-%d.txt", i))
		if err := os.WriteFile(path, bytes.Repeat(line, (2*readahead.From)/len(line)), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, path)
	}
	c, err := New(testConfig(t.TempDir()), inputs) // which reads each input's first block
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.front.ln.Close() })
	if len(c.tasks) != 2 {
		t.Fatalf("%d map tasks, want 2", len(c.tasks))
	}
	next, err := os.Open(inputs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	size := c.tasks[1][0].Length
	for _, path := range inputs {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Sync()
		readahead.Drop(f, 0, size)
		f.Close()
	}
	switch n, pages, err := readahead.Cached(next, 0, size); {
	case err != nil:
		t.Skip("the page cache cannot be asked here:", err)
	case n > pages/4:
		t.Skipf("%d of %d pages still cached once dropped: this file system keeps them (tmpfs?)", n, pages)
	}
	rec := httptest.NewRecorder()
	c.sendSplit(rec, 0, c.tasks[0], true)
	if int64(rec.Body.Len()) != c.tasks[0][0].Length {
		t.Fatalf("sent %d bytes of %d", rec.Body.Len(), c.tasks[0][0].Length)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		n, pages, err := readahead.Cached(next, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		if n == pages {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the next split's %d pages in the page cache a minute after the split before it was sent", n, pages)
		}
	}
}

// Hold takes the job's inputs only, by name and size, and refuses a
// batch over the limit; with Commit the scheduler learns who holds what.
func TestHoldTakesInputsOnly(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir()))
	var id string
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		id, _ = s.Register(scheduler.Registration{App: "app", Addr: "127.0.0.1:9"}, now)
	})
	r := &coordRPC{c: c, peer: "test"}
	r.bind(id)
	var reply protocol.HoldReply
	files := []protocol.HeldFile{{Name: "in-0.txt", Size: c.in.sizes[0]}, {Name: "in-1.txt", Size: 1}, {Name: "../in-0.txt", Size: c.in.sizes[0]},
		{Name: "notes.txt", Size: 3}}
	if err := r.Hold(&protocol.HoldArgs{WorkerID: id, First: true, Files: files}, &reply); err != nil || len(reply.Held) != 1 || reply.Held[0] != "in-0.txt" {
		t.Fatalf("held %v, %v", reply.Held, err)
	}
	if sum := c.Summary(); sum.Workers[0].Holds != 0 {
		t.Fatal("held without a commit")
	}
	reply = protocol.HoldReply{}
	r.Hold(&protocol.HoldArgs{WorkerID: id, First: true, Commit: true, Files: files}, &reply)
	if sum := c.Summary(); sum.Workers[0].Holds != 1 {
		t.Fatalf("%d inputs held after the commit", sum.Workers[0].Holds)
	}
	if err := r.Hold(&protocol.HoldArgs{WorkerID: id, Files: make([]protocol.HeldFile, protocol.MaxHoldBatch+1)}, &reply); err == nil {
		t.Fatal("a batch over the limit accepted")
	}
	close(c.life.stop)
}

// copyPiece sends a piece through a real HTTP response (by sendfile) as it
// is; a worker that hangs up part way is its own trouble (nil: the job
// goes on), and a file shorter than the piece is the job's.
func TestCopyPiece(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	data := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog\n"), 200_000) // 8.8 MB: more than the socket buffers hold
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := protocol.Split{File: path, Offset: 1000, Length: int64(len(data)) - 2000}
	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			served <- err
			return
		}
		defer f.Close()
		w.Header().Set("Content-Length", strconv.FormatInt(p.Length, 10))
		served <- copyPiece(w, f, p)
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, data[p.Offset:p.Offset+p.Length]) {
		t.Fatalf("read %d bytes (%v), want the %d of the piece", len(got), err, p.Length)
	}
	if err := <-served; err != nil {
		t.Fatalf("a whole piece sent: %v", err)
	}

	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 4096))
	resp.Body.Close() // the worker goes away
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("a worker that went away failed the job: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("copyPiece did not return after the worker went away")
	}

	f, _ := os.Open(path)
	defer f.Close()
	long := protocol.Split{File: path, Offset: 1000, Length: int64(len(data))}
	if err := copyPiece(io.Discard, f, long); err == nil || !strings.Contains(err.Error(), "shorter than when the job started") {
		t.Fatalf("a piece past the end of its file: %v", err)
	}
}
