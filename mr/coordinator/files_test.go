// files_test.go: the coordinator's files: a repeated upload rewrites
// nothing, an earlier job's outputs go at start, and a stopped
// coordinator leaves no temp file.

package coordinator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
	"mapreduce/mr/scheduler"
)

// The winner's upload sent again (its first answer was lost) is answered
// 200 and rewrites nothing; another attempt's is refused.
func TestRepeatedUploadOfWinnerAccepted(t *testing.T) {
	c, a, key := coordinatorWithReduce(t)
	body := runBytes(t, "alpha", "1", "beta", "2")
	if code := upload(c, a, key, body, crcOf(body)); code != http.StatusOK {
		t.Fatalf("first upload answered %d", code)
	}
	out := filepath.Join(c.cfg.OutDir, outputName(a.Task))
	before, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if code := upload(c, a, key, runBytes(t, "gamma", "3"), crcOf(runBytes(t, "gamma", "3"))); code != http.StatusOK {
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
	if code := upload(c, other, key, body, crcOf(body)); code != http.StatusConflict {
		t.Fatalf("upload of another attempt answered %d, want 409", code)
	}
	st := c.statusNow(time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up.all(1) || st.ReducesDone != 1 {
		t.Fatalf("%d outputs committed, %d reduces done", c.up.committed, st.ReducesDone)
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
	c, err := New(cfg, []string{filepath.Join(out, "mr-out-7")})
	if err != nil {
		t.Fatal(err)
	}
	c.front.ln.Close()
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
	req, _ := http.NewRequest(http.MethodPost, wire.ReduceURL(c.Addr(), a), pr)
	req.ContentLength = int64(len(body))
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(crcOf(body)), 10))
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), time.Now(), wire.Covered(req.Header, req.ContentLength)...)
	go http.DefaultClient.Do(req)
	pw.Write(body[:len(body)/2]) // the upload is under way, and stalls
	stop()
	select {
	case <-result:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	pw.Close()
	if _, err := os.Stat(c.dirs.workDir); !os.IsNotExist(err) {
		t.Fatalf("work directory left: %v", err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(c.cfg.OutDir, ".*tmp")); len(tmp) > 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

// An upload that fails verification fails its attempt, never the job:
// an empty body with CRC 0 (which once ended the whole job), a body that
// is no run file, a body whose CRC does not match.
func TestBadUploadFailsOnlyItsAttempt(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		crc  func([]byte) uint32
	}{
		{"empty, crc 0", nil, crcOf},
		{"not a run file", []byte("garbage!"), crcOf},
		{"wrong crc", []byte("garbage!"), func([]byte) uint32 { return 12345 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, key := coordinatorWithReduce(t)
			if code := upload(c, a, key, tt.body, tt.crc(tt.body)); code != http.StatusBadRequest {
				t.Fatalf("answered %d, want 400", code)
			}
			c.mu.Lock()
			err, _ := c.life.err, 0
			failed := c.sched.Job().Failed
			c.mu.Unlock()
			if err != nil || failed {
				t.Fatalf("a bad upload ended the job: %v", err)
			}
			if o := attemptOutcome(c, a); o != "failed" {
				t.Fatalf("the attempt is %s, want failed", o)
			}
		})
	}
}

// An upload the coordinator cannot store (its work directory a file) is the
// coordinator's failure, not the worker's: the upload is stored as it is
// read, so a failure to write it reaches the coordinator as a failure to
// read the body, which alone would blame the worker.
func TestUploadTheCoordinatorCannotStoreEndsTheJob(t *testing.T) {
	c, a, key := coordinatorWithReduce(t)
	var kv []string
	for i := 0; i < 50000; i++ {
		kv = append(kv, fmt.Sprintf("key%07d", i), "a value of some length")
	}
	body := runBytes(t, kv...)
	if len(body) <= inlineUpload {
		t.Fatalf("a run of %d bytes is kept in memory: the test needs one stored in a file", len(body))
	}
	os.RemoveAll(c.dirs.workDir)
	os.WriteFile(c.dirs.workDir, nil, 0o644)
	if code := upload(c, a, key, body, crcOf(body)); code != http.StatusInternalServerError {
		t.Fatalf("answered %d, want 500", code)
	}
	c.mu.Lock()
	err := c.life.err
	c.mu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "cannot write the output") {
		t.Fatalf("the job's error: %v, want the coordinator's failure to write", err)
	}
	if o := attemptOutcome(c, a); o == "failed" {
		t.Fatal("the worker's attempt was failed for the coordinator's trouble")
	}
	if tmp, _ := filepath.Glob(filepath.Join(c.cfg.OutDir, ".*tmp")); len(tmp) > 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

// A worker running another app is refused for its app's name, not for a
// build that differs only because the app does.
func TestOtherAppRefusedByName(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir()))
	var err error
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		if err = c.ship.sameBuildLocked(s, &protocol.RegisterArgs{App: "wc", Build: "aaaa", Addr: "127.0.0.1:1"}); err != nil {
			return
		}
		if _, err = s.Register(scheduler.Registration{App: "wc", Addr: "127.0.0.1:1"}, now); err != nil {
			return
		}
		if err = c.ship.sameBuildLocked(s, &protocol.RegisterArgs{App: "indexer", Build: "bbbb", Addr: "127.0.0.1:2"}); err != nil {
			return
		}
		_, err = s.Register(scheduler.Registration{App: "indexer", Addr: "127.0.0.1:2"}, now)
	})
	if err == nil || !strings.Contains(err.Error(), `runs "indexer", the job runs "wc"`) {
		t.Fatalf("registration of another app: %v", err)
	}
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		err = c.ship.sameBuildLocked(s, &protocol.RegisterArgs{App: "wc", Build: "cccc", Addr: "127.0.0.1:3"})
	})
	if err == nil || !strings.Contains(err.Error(), "built cccc") {
		t.Fatalf("registration of another build of the app: %v", err)
	}
}
