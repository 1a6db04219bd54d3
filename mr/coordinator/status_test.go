// status_test.go: who may read the status page and /status, what they
// show, and the link and hints the coordinator prints.

package coordinator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
)

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
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Version != protocol.StatusVersion || st.MapTasks.Idle != 2 {
		t.Fatalf("status %v: %+v", err, st)
	}
	// Each map task's input and its size come from the coordinator's splits.
	for _, r := range st.Tasks.Rows {
		size := int64(len("alpha beta gamma\n")) * (10 + int64(r.Task[len(r.Task)-1]-'0'))
		if strings.HasPrefix(r.Task, "map-") && (!strings.HasSuffix(r.Input, "in-"+r.Task[4:]+".txt") || r.InputBytes != size) {
			t.Errorf("%s: input %q of %d bytes, want in-%s.txt of %d", r.Task, r.Input, r.InputBytes, r.Task[4:], size)
		}
	}
	if st.Work.Unit != "bytes" || st.Work.Total <= 0 || st.Work.ETAMS != nil {
		t.Errorf("work %+v, want bytes and no ETA before any worker", st.Work)
	}
	if rec := get(c, "GET", "/nothing-here"); rec.Code != 404 {
		t.Fatalf("GET /nothing-here = %d", rec.Code)
	}
}

func TestStatusTokenGrantsOnlyReading(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("sesame")
	c := newTestCoordinator(t, cfg)
	token := protocol.StatusToken(cfg.Secret, c.job)
	for _, target := range []string{"/", "/status", "/?token=" + protocol.StatusToken([]byte("other"), c.job),
		"/?token=" + protocol.StatusToken(cfg.Secret, "another-job"), "/status?token=" + token[:63]} {
		rec := get(c, "GET", target)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s = %d, want 401", target, rec.Code)
		}
		if job := rec.Header().Get(protocol.JobHeader); job != c.job { // what a holder of the secret needs
			t.Errorf("GET %s: the refusal names job %q, want %q", target, job, c.job)
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
	log := newLogBuffer()
	cfg := testConfig(t.TempDir())
	cfg.Secret, cfg.HintAfter = []byte("sesame"), 10*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	out := log.wait(t, "no worker has joined yet")
	if want := `url="http://` + c.Addr() + "/?token=" + protocol.StatusToken(cfg.Secret, c.job) + `"`; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
	if want := "command=\"MR_SECRET=<the job secret> bin/mrworker -coordinator " + c.Addr() + " bin/APP.so\""; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
	stop()
	<-done
}

// A keep-alive connection that read the status with the read-only token
// stays unauthenticated: it holds no place that strangers cannot take.
func TestStatusTokenAuthenticatesNoConnection(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("sesame")
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { stop(); <-done }()
	conn, err := net.Dial("tcp", c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for range 3 { // the same connection, kept alive
		fmt.Fprintf(conn, "GET /status?token=%s HTTP/1.1\r\nHost: x\r\n\r\n", protocol.StatusToken(cfg.Secret, c.job))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("GET /status?token= = %d, close %v", resp.StatusCode, resp.Close)
		}
	}
	if st := c.front.ln.(*netx.Listener).Stats(); st.Open != 1 || st.Unauthenticated != 1 {
		t.Fatalf("listener %+v: want the token's connection open and unauthenticated", st)
	}
}

// A refusal of the status over a real connection names the job, whose
// token a client holding the secret derives; the token opens it.
func TestStatusRefusalNamesTheJob(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("sesame")
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { stop(); <-done }()
	resp, err := http.Get("http://" + c.Addr() + protocol.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	job := resp.Header.Get(protocol.JobHeader)
	if resp.StatusCode != http.StatusUnauthorized || job != c.job {
		t.Fatalf("GET /status = %d, %s %q; want 401 naming the job %q", resp.StatusCode, protocol.JobHeader, job, c.job)
	}
	resp, err = http.Get("http://" + c.Addr() + protocol.PathStatus + "?" + protocol.TokenParam + "=" + protocol.StatusToken(cfg.Secret, job))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /status with the derived token = %d", resp.StatusCode)
	}
}

// A coordinator that ships its app without a job secret says in one line
// what that risks, and its hint names the pool worker's flag that accepts
// it.
func TestShippingWithoutSecretSaysTheRisk(t *testing.T) {
	log := newLogBuffer()
	cfg := testConfig(t.TempDir())
	cfg.AppPlugin = filepath.Join(t.TempDir(), "wc.so")
	if err := os.WriteFile(cfg.AppPlugin, []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.HintAfter = 10 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	out := log.wait(t, "no worker has joined yet")
	stop()
	<-done
	if !strings.Contains(out, `msg="shipping the app without a job secret: only pool workers started with -insecure-accept-code run it`) {
		t.Errorf("no warning of the risk:\n%s", out)
	}
	if want := "bin/mrworker -coordinator " + c.Addr() + " -insecure-accept-code (a pool worker without a secret"; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
}

// The status shows the job's model and the pool workers that declined
// it, as the summary does.
func TestStatusShowsModelAndDeclines(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Params = map[string]string{"min": "3"}
	c := newTestCoordinator(t, cfg)
	r := &coordRPC{c: c, peer: "127.0.0.1:9"}
	if err := r.Decline(&protocol.DeclineArgs{Addr: "127.0.0.1", Reason: "no plugin"}, &protocol.DeclineReply{}); err != nil {
		t.Fatal(err)
	}
	st, sum := c.statusNow(time.Now()), c.Summary()
	if st.Model == nil || st.Model.Params["min"] != "3" || !reflect.DeepEqual(st.Model, sum.Model) {
		t.Errorf("status model %+v, summary model %+v; want the parameters in both", st.Model, sum.Model)
	}
	if len(st.Declined) != 1 || st.Declined[0] != "127.0.0.1: no plugin" || !slices.Equal(st.Declined, sum.Declined) {
		t.Errorf("status declined %q, summary declined %q", st.Declined, sum.Declined)
	}
}
