package mr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

func TestClusterWithSecret(t *testing.T) {
	inputs := testInputs(t, 4)
	app := wordCount()
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("correct horse battery staple")
	cl := startCluster(t, cfg, inputs, app, 2)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
}

// relay forwards TCP connections to target and keeps a copy of every
// byte in both directions.
type relay struct {
	ln     net.Listener
	target string

	// mu guards seen.
	mu   sync.Mutex
	seen bytes.Buffer
}

func newRelay(t *testing.T, target string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go r.serve()
	return r
}

func (r *relay) serve() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			in.Close()
			continue
		}
		go r.pipe(in, out)
		go r.pipe(out, in)
	}
}

func (r *relay) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			r.seen.Write(buf[:n])
			r.mu.Unlock()
			dst.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (r *relay) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.seen.Bytes())
}

// Every byte of a whole job, between the workers and the coordinator and
// between the workers, passes through relays; the secret appears in none
// of them, in any common encoding.
func TestSecretNeverOnTheWire(t *testing.T) {
	inputs := testInputs(t, 4)
	app := wordCount()
	secret := []byte("Tr0ub4dor&3-the-job-secret")
	cfg := testConfig(t.TempDir())
	cfg.Secret = secret
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- c.Run(context.Background()) }()
	relays := []*relay{newRelay(t, c.Addr())}
	for range 2 {
		w, err := NewWorker(testWorkerConfig(relays[0].ln.Addr().String(), cfg), app)
		if err != nil {
			t.Fatal(err)
		}
		r := newRelay(t, w.ln.Addr().String())
		relays = append(relays, r)
		w.cfg.Advertise = r.ln.Addr().String() // peers fetch through the relay
		ctx, cancel := context.WithCancel(context.Background())
		go w.Run(ctx)
		t.Cleanup(func() { cancel(); w.Close() })
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("job did not finish")
	}
	var all []byte
	for _, r := range relays {
		all = append(all, r.bytes()...)
	}
	for _, fetched := range []string{"CONNECT " + protocol.PathRPC, "POST /runs", "POST /reduce", "GET /split"} {
		if !bytes.Contains(all, []byte(fetched)) {
			t.Fatalf("the relays saw no %q: the job did not go through them", fetched)
		}
	}
	for _, enc := range []string{string(secret), hex.EncodeToString(secret), strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret), "Tr0ub4dor"} {
		if bytes.Contains(all, []byte(enc)) {
			t.Fatalf("the secret crossed the wire as %q", enc)
		}
	}
}

// A peer that knows the secret and has a session of its own still cannot
// act for another worker: not over RPC, not over HTTP.
func TestSessionCannotActForAnotherWorker(t *testing.T) {
	inputs := testInputs(t, 2)
	app := wordCount()
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []KeyValue {
		<-gate // hold the honest worker's map attempt running
		return mapFn(name, contents)
	}
	cfg := testConfig(t.TempDir())
	cfg.Secret = []byte("s")
	cfg.HeartbeatTimeout = 5 * time.Second
	cl := startCluster(t, cfg, inputs, app, 1)
	cl.waitFor("a map running on w1", func(s *scheduler) bool { return s.maps[0].state == taskRunning })
	victim := protocol.Attempt{WorkerID: "w1", Kind: protocol.MapTask, Task: 0, N: 1}

	// The attacker registers properly: it gets a session of its own, w2.
	keys := auth.New(cfg.Secret)
	conn, err := protocol.DialRPC(cl.c.Addr(), time.Second, keys.RPCKey())
	if err != nil {
		t.Fatal(err)
	}
	rc := rpc.NewClientWithCodec(protocol.NewClientCodec(conn))
	defer rc.Close()
	ex := auth.NewExchange()
	var reg protocol.RegisterReply
	if err := rc.Call("Coordinator.Register", &protocol.RegisterArgs{App: "wc", Addr: "127.0.0.1:9", Public: ex.Public()}, &reg); err != nil {
		t.Fatal(err)
	}
	own, _ := ex.SessionKey(keys, reg.Public, reg.WorkerID, ex.Public(), reg.Public)

	var hb protocol.HeartbeatReply
	if rc.Call("Coordinator.Heartbeat", &protocol.HeartbeatArgs{WorkerID: "w1"}, &hb); hb.Action != protocol.ActReregister {
		t.Errorf("heartbeat as w1 answered %s", hb.Action)
	}
	var task protocol.GetTaskReply
	if rc.Call("Coordinator.GetTask", &protocol.GetTaskArgs{WorkerID: "w1"}, &task); task.Action != protocol.ActReregister {
		t.Errorf("GetTask as w1 answered %s", task.Action)
	}
	var rep protocol.ReportReply
	rc.Call("Coordinator.ReportMap", &protocol.ReportMapArgs{Attempt: victim, NReduce: cfg.NReduce}, &rep)
	rc.Call("Coordinator.ReportFailure", &protocol.ReportFailureArgs{Attempt: victim, Err: "forged"}, &rep)
	if rep.Accepted {
		t.Error("a report for w1's attempt was accepted")
	}
	var res protocol.ResumeReply
	rc.Call("Coordinator.Resume", &protocol.ResumeArgs{WorkerID: "w1", Proof: auth.Sum(own, []byte("resume"), conn.ServerNonce)}, &res)
	if res.OK {
		t.Error("resumed w1's session with another session's key")
	}

	// Over HTTP: unsigned, signed with its own session key, or replayed.
	for name, sign := range map[string]func(*http.Request){
		"unsigned":        func(*http.Request) {},
		"own session key": func(r *http.Request) { auth.SignRequest(r.Header, own, r.Method, r.URL.RequestURI(), time.Now()) },
	} {
		req, _ := http.NewRequest(http.MethodGet, protocol.SplitURL(cl.c.Addr(), victim), nil)
		sign(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("split of w1's attempt, %s: %s", name, resp.Status)
		}
	}

	cl.c.mu.Lock()
	a := cl.c.sched.running(victim)
	cl.c.mu.Unlock()
	if a == nil {
		t.Fatal("w1's attempt is no longer running: a forged call changed state")
	}
	close(gate)
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(app, inputs)
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
			req := httptest.NewRequest(http.MethodPost, protocol.ReduceURL("x", a), bytes.NewReader(tt.body))
			req.RequestURI = req.URL.RequestURI()
			req.ContentLength = int64(len(tt.body))
			req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(tt.crc(tt.body)), 10))
			auth.SignRequest(req.Header, key, req.Method, req.RequestURI, time.Now(), protocol.Covered(req.Header, req.ContentLength)...)
			rec := httptest.NewRecorder()
			c.handleReduce(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("answered %d, want 400", rec.Code)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.err != nil || c.sched.phase == phaseFailed {
				t.Fatalf("a bad upload ended the job: %v", c.err)
			}
			if o := c.sched.reduces[a.Task].history[0].outcome; o != outcomeFailed {
				t.Fatalf("the attempt is %s, want failed", o)
			}
		})
	}
}

func crcOf(b []byte) uint32 {
	h := runfile.NewHash()
	h.Write(b)
	return h.Sum32()
}

// coordinatorWithReduce is a coordinator (not running) whose one worker,
// with the session key it returns, runs a reduce attempt.
func coordinatorWithReduce(t *testing.T) (*Coordinator, protocol.Attempt, []byte) {
	cfg := testConfig(t.TempDir())
	c, err := NewCoordinator(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	c.workDir = t.TempDir() // Run would make it
	t.Cleanup(func() { c.ln.Close() })
	key := []byte("session key")
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	w, _ := c.sched.register("wc", "127.0.0.1:9", now)
	w.session = key
	m := c.sched.assign(w.id, now)
	c.sched.mapDone(protocol.Attempt{WorkerID: w.id, Kind: protocol.MapTask, Task: m.Task, N: m.Attempt},
		cfg.NReduce, 0, 0, now)
	r := c.sched.assign(w.id, now)
	return c, protocol.Attempt{WorkerID: w.id, Kind: protocol.ReduceTask, Task: r.Task, N: r.Attempt}, key
}
