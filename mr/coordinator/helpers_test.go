// helpers_test.go: what the coordinator's own tests share. They drive
// its handlers directly, and its scheduler through the scheduler's API;
// whole clusters run in process in cluster_*_test.go.

package coordinator

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
	"mapreduce/mr/scheduler"
)

func testConfig(out string) Config {
	return Config{Addr: "127.0.0.1:0", NReduce: 4, OutDir: out, PackSize: 1, HeartbeatTimeout: 1500 * time.Millisecond,
		TaskTimeout: 5 * time.Second, longPoll: 100 * time.Millisecond, exitGrace: 500 * time.Millisecond,
		progressEvery: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// testInputs writes n small inputs and returns their paths.
func testInputs(t testing.TB, n int) []string {
	dir := t.TempDir()
	var inputs []string
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("in-%d.txt", i))
		if err := os.WriteFile(path, []byte(strings.Repeat("alpha beta gamma\n", 10+i)), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, path)
	}
	return inputs
}

func newTestCoordinator(t *testing.T, cfg Config) *Coordinator {
	t.Helper()
	c, err := New(cfg, testInputs(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.front.ln.Close() })
	return c
}

// logBuffer is a log destination tests can read, and wait on, while the
// coordinator writes.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced at every write
}

func newLogBuffer() *logBuffer { return &logBuffer{written: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.written)
	l.written = make(chan struct{})
	return l.b.Write(p)
}

// wait returns the log once it holds want, failing after 10 s.
func (l *logBuffer) wait(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		s, ch := l.b.String(), l.written
		l.mu.Unlock()
		if strings.Contains(s, want) {
			return s
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("log never said %q:\n%s", want, s)
		}
	}
}

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

func crcOf(b []byte) uint32 {
	h := runfile.NewHash()
	h.Write(b)
	return h.Sum32()
}

// upload posts body as attempt a's output, with the CRC crc, signed with
// key, to the coordinator's handler, and returns the status.
func upload(c *Coordinator, a protocol.Attempt, key, body []byte, crc uint32) int {
	req := httptest.NewRequest(http.MethodPost, wire.ReduceURL("x", a), bytes.NewReader(body))
	req.RequestURI = req.URL.RequestURI()
	req.ContentLength = int64(len(body))
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(crc), 10))
	auth.SignRequest(req.Header, key, req.Method, req.RequestURI, time.Now(), wire.Covered(req.Header, req.ContentLength)...)
	rec := httptest.NewRecorder()
	c.handleReduce(rec, req)
	return rec.Code
}

// coordinatorWithReduce is a coordinator (not running) whose one worker,
// with the session key it returns, runs a reduce attempt.
func coordinatorWithReduce(t *testing.T) (*Coordinator, protocol.Attempt, []byte) {
	cfg := testConfig(t.TempDir())
	c, err := New(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	c.dirs.workDir = t.TempDir() // Run would make it
	t.Cleanup(func() { c.front.ln.Close() })
	key := []byte("session key")
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	id, _ := c.sched.Register(scheduler.Registration{App: "wc", Addr: "127.0.0.1:9"}, now)
	c.sessions[id] = key
	m := c.sched.Assign(id, scheduler.AskIdle, now)
	c.sched.Done(protocol.Attempt{WorkerID: id, Kind: protocol.MapTask, Task: m.Task, N: m.Attempt},
		scheduler.Output{Runs: cfg.NReduce}, now)
	r := c.sched.Assign(id, scheduler.AskIdle, now)
	return c, protocol.Attempt{WorkerID: id, Kind: protocol.ReduceTask, Task: r.Task, N: r.Attempt}, key
}

// attemptOutcome is how attempt a stands in the scheduler's summary.
func attemptOutcome(c *Coordinator, a protocol.Attempt) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ts := range c.sched.Summary(c.start, time.Now()).Tasks {
		for _, as := range ts.Attempts {
			if as.ID == a.String() {
				return as.Outcome
			}
		}
	}
	return ""
}
