package mr

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// The coordinator's files: a repeated upload rewrites nothing, an earlier
// job's outputs go at start, and a stopped coordinator leaves no temp file.

// runBytes is a valid run file holding the records kv (key, value, ...).
func runBytes(t *testing.T, kv ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run")
	if _, err := runfile.WriteFile(path, func(w *runfile.Writer) error {
		for i := 0; i < len(kv); i += 2 {
			if err := w.Write(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload posts body as attempt a's output, signed with key, to the
// coordinator's handler, and returns the status.
func upload(c *Coordinator, a protocol.Attempt, key, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, protocol.ReduceURL("x", a), bytes.NewReader(body))
	req.RequestURI = req.URL.RequestURI()
	req.ContentLength = int64(len(body))
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(crcOf(body)), 10))
	auth.SignRequest(req.Header, key, req.Method, req.RequestURI, time.Now(), protocol.Covered(req.Header, req.ContentLength)...)
	rec := httptest.NewRecorder()
	c.handleReduce(rec, req)
	return rec.Code
}

// The winner's upload sent again (its first answer was lost) is answered
// 200 and rewrites nothing; another attempt's is refused.
func TestRepeatedUploadOfWinnerAccepted(t *testing.T) {
	c, a, key := coordinatorWithReduce(t)
	body := runBytes(t, "alpha", "1", "beta", "2")
	if code := upload(c, a, key, body); code != http.StatusOK {
		t.Fatalf("first upload answered %d", code)
	}
	out := filepath.Join(c.cfg.OutDir, outputName(a.Task))
	before, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if code := upload(c, a, key, runBytes(t, "gamma", "3")); code != http.StatusOK {
		t.Fatalf("repeated upload answered %d, want 200", code)
	}
	after, err := os.Stat(out)
	if err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("mr-out-%d was rewritten (%v)", a.Task, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "alpha 1\nbeta 2\n" {
		t.Fatalf("mr-out-%d holds %q", a.Task, b)
	}
	other := a
	other.N++
	if code := upload(c, other, key, body); code != http.StatusConflict {
		t.Fatalf("upload of another attempt answered %d, want 409", code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.committed != 1 || c.sched.reducesDone != 1 {
		t.Fatalf("%d outputs committed, %d reduces done", c.committed, c.sched.reducesDone)
	}
}

func TestCoordinatorRemovesEarlierJobsOutputs(t *testing.T) {
	out := t.TempDir()
	stale := []string{"mr-out-0", "mr-out-12", "mr-wc-all", "mr-indexer-summary.json", "mr-my.app-all",
		".mr-out-3.123456.tmp", ".mr-wc-all.99.tmp", ".mr-job-summary.json.7.tmp"}
	kept := []string{"mr-out-notes.txt", "notes.txt", "mr-out-", "mr--all", "mr-wc-all.bak", "mr-out-7"}
	for _, name := range append(append([]string{}, stale...), kept...) {
		if err := os.WriteFile(filepath.Join(out, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(out, "mr-out-5"), 0o755) // not a file: kept
	kept = append(kept, "mr-out-5")
	cfg := testConfig(out)
	// mr-out-7 is this job's input: never removed.
	c, err := NewCoordinator(cfg, []string{filepath.Join(out, "mr-out-7")})
	if err != nil {
		t.Fatal(err)
	}
	c.ln.Close()
	for _, name := range stale {
		if _, err := os.Lstat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s was kept", name)
		}
	}
	for _, name := range kept {
		if _, err := os.Lstat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s was removed", name)
		}
	}
}

// A coordinator stopped (Ctrl-C) in the middle of an upload returns only
// once the upload ended: its work directory is gone, and no temp file is
// left in -out.
func TestStoppedCoordinatorLeavesNoTempFiles(t *testing.T) {
	c, a, key := coordinatorWithReduce(t)
	ctx, stop := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- c.Run(ctx) }()
	body := runBytes(t, "alpha", "1")
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, protocol.ReduceURL(c.Addr(), a), pr)
	req.ContentLength = int64(len(body))
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(crcOf(body)), 10))
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), time.Now(), protocol.Covered(req.Header, req.ContentLength)...)
	go http.DefaultClient.Do(req)
	pw.Write(body[:len(body)/2]) // the upload is under way, and stalls
	stop()
	select {
	case <-result:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	pw.Close()
	if _, err := os.Stat(c.workDir); !os.IsNotExist(err) {
		t.Fatalf("work directory left: %v", err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(c.cfg.OutDir, ".*tmp")); len(tmp) > 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

// An input that disappears mid-job ends the job in one line, rather than
// failing worker after worker (whose fault it is not) until all are out.
func TestInputGoneFailsTheJobNotTheWorkers(t *testing.T) {
	inputs := testInputs(t, 2)
	app := wordCount()
	mapFn := app.Map
	app.Map = func(name, contents string) []KeyValue {
		os.Remove(inputs[1]) // while the job runs: map-1's split is read later
		return mapFn(name, contents)
	}
	cl := startCluster(t, testConfig(t.TempDir()), inputs, app, 1)
	err := cl.wait()
	if err == nil || !strings.Contains(err.Error(), "coordinator cannot read its input: open "+inputs[1]) {
		t.Fatalf("job ended with %v", err)
	}
	cl.c.mu.Lock()
	defer cl.c.mu.Unlock()
	for _, w := range cl.c.sched.workers {
		if w.excluded != "" {
			t.Fatalf("%s excluded: %s", w.id, w.excluded)
		}
	}
}
