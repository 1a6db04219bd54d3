package mr

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// syncBuffer is a log destination tests can read while the coordinator writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits until the log holds want, at most 10 s.
func waitLog(t *testing.T, log *syncBuffer, want string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s := log.String(); strings.Contains(s, want) {
			return s
		}
	}
	t.Fatalf("log never said %q:\n%s", want, log.String())
	return ""
}

func newTestCoordinator(t *testing.T, cfg Config) *Coordinator {
	t.Helper()
	c, err := NewCoordinator(cfg, testInputs(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.ln.Close() })
	return c
}

func get(c *Coordinator, method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.mux().ServeHTTP(rec, req)
	return rec
}

func TestStatusIsOpenWithoutSecret(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir()))
	if rec := get(c, "GET", "/"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="maps-total">2<`) {
		t.Fatalf("GET / = %d:\n%.300s", rec.Code, rec.Body.String())
	}
	rec := get(c, "GET", "/status")
	// The first /status's fields are still there, under their old names.
	var old struct {
		Phase                                                      string
		MapsDone, Maps, ReducesDone, Reduces, Workers, LiveWorkers int
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	if err := dec.Decode(&old); err != nil || old.Phase != "map" || old.Maps != 2 || old.Reduces != 4 {
		t.Fatalf("GET /status = %d, %v: %+v", rec.Code, err, old)
	}
	var st protocol.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Version != 1 || st.MapTasks.Idle != 2 {
		t.Fatalf("status %v: %+v", err, st)
	}
	if rec := get(c, "GET", "/nothing-here"); rec.Code != 404 {
		t.Fatalf("GET /nothing-here = %d", rec.Code)
	}
}

func TestStatusTokenGrantsOnlyReading(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("sesame")
	c := newTestCoordinator(t, cfg)
	token := protocol.StatusToken(cfg.Secret)
	for _, target := range []string{"/", "/status", "/?token=" + protocol.StatusToken([]byte("other")), "/status?token=" + token[:63]} {
		if rec := get(c, "GET", target); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s = %d, want 401", target, rec.Code)
		}
	}
	rec := get(c, "GET", "/?token="+token)
	if rec.Code != 200 {
		t.Fatalf("GET /?token= = %d", rec.Code)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != protocol.TokenCookie || !cookies[0].HttpOnly {
		t.Fatalf("cookies %+v", cookies)
	}
	if rec := get(c, "GET", "/status", cookies[0]); rec.Code != 200 {
		t.Fatalf("GET /status with the cookie = %d", rec.Code)
	}
	if rec := get(c, "GET", "/status", &http.Cookie{Name: protocol.TokenCookie, Value: "x" + token[1:]}); rec.Code != 401 {
		t.Fatalf("GET /status with a wrong cookie = %d", rec.Code)
	}
	if rec := get(c, "POST", "/status?token="+token); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /status with the token = %d", rec.Code)
	}
}

func TestCoordinatorPrintsLinkAndHint(t *testing.T) {
	var log syncBuffer
	cfg := testConfig(t.TempDir())
	cfg.Secret, cfg.HintAfter = []byte("sesame"), 10*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	out := waitLog(t, &log, "no worker has joined yet")
	if want := `url="http://` + c.Addr() + "/?token=" + protocol.StatusToken(cfg.Secret) + `"`; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
	if want := "command=\"bin/mrworker -coordinator " + c.Addr() + " bin/APP.so\""; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
	stop()
	<-done
}

// With Linger, the finished job's page is served until Linger passes.
func TestFinishedJobLingers(t *testing.T) {
	inputs := testInputs(t, 2)
	app := wordCount()
	cfg := testConfig(t.TempDir())
	cfg.Linger = time.Minute
	var lines []string
	var mu sync.Mutex
	cfg.Progress = func(line string) { mu.Lock(); lines = append(lines, line); mu.Unlock() }
	ctx, stop := context.WithCancel(context.Background())
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, c: c, result: make(chan error, 1), out: cfg.OutDir}
	go func() { cl.result <- c.Run(ctx) }()
	w, err := NewWorker(WorkerConfig{Coordinator: c.Addr(), Listen: "127.0.0.1:0", Logger: cfg.Logger}, app)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go w.Run(context.Background())
	<-c.Done()
	var st protocol.Status
	for deadline := time.Now().Add(10 * time.Second); st.Result == nil || st.Result.SummaryFile == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary file in the status 10 s after the job: %+v", st.Result)
		}
		st = fetchStatus(t, "http://"+c.Addr()+"/status")
	}
	if !st.Over || st.Result.Final != "mr-wc-all" ||
		st.Result.Outputs != "mr-out-0 … mr-out-3" || !strings.HasSuffix(st.Result.SummaryFile, "mr-wc-summary.json") {
		t.Fatalf("status after the job: %+v", st.Result)
	}
	if st.Counters.MapInputRecords == 0 || st.Counters.ReduceOutputRecords == 0 {
		t.Fatalf("counters %+v", st.Counters)
	}
	select {
	case err := <-cl.result:
		t.Fatalf("Run returned %v while lingering", err)
	default:
	}
	stop()
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := len(lines); n == 0 || !strings.HasPrefix(lines[n-1], "map 2/2 · reduce 4/4 · ") || !strings.Contains(lines[n-1], " · done in ") {
		t.Fatalf("progress lines %q", lines)
	}
}

func fetchStatus(t *testing.T, url string) protocol.Status {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var st protocol.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return st
}
