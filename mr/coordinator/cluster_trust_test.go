// Clusters with a job secret: the job runs, the secret never crosses the
// wire, and a session cannot act for another worker.

package coordinator_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/worker"
)

func TestClusterWithSecret(t *testing.T) {
	inputs := Inputs(t, 4)
	cfg := Config(t.TempDir())
	cfg.Secret = []byte("correct horse battery staple")
	cl := Start(t, cfg, inputs, WordCount(), 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
}

// relay forwards TCP connections to its target and keeps a copy of every
// byte in both directions.
type relay struct {
	ln net.Listener

	// mu guards target and seen.
	mu     sync.Mutex
	target string
	seen   bytes.Buffer
}

func newRelay(t *testing.T, target string) *relay {
	return newRelayOn(t, "127.0.0.1:0", target)
}

// newRelayOn is a relay listening on addr.
func newRelayOn(t *testing.T, addr, target string) *relay {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go r.serve()
	return r
}

// to sets where the relay forwards connections from now on.
func (r *relay) to(target string) {
	r.mu.Lock()
	r.target = target
	r.mu.Unlock()
}

func (r *relay) serve() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		target := r.target
		r.mu.Unlock()
		out, err := net.Dial("tcp", target)
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
// of them, in any common encoding. Worker i advertises the loopback host
// 127.0.0.1i, where a relay listens on its run-file server's port and
// forwards to it.
func TestSecretNeverOnTheWire(t *testing.T) {
	inputs := Inputs(t, 4)
	app := WordCount()
	ready, mapFn, reduceFn := make(chan struct{}), app.Map, app.Reduce
	app.Map = func(name, contents string) []mr.KeyValue {
		<-ready // no peer fetches before the relays are up
		return mapFn(name, contents)
	}
	app.Reduce = func(k string, vs []string) string {
		if k == "alpha" { // its task's output is too large for a report: it goes by POST /reduce, the others' in reports
			return strings.Repeat("a", protocol.MaxInlineReduce+1)
		}
		return reduceFn(k, vs)
	}
	defer func() { // a test failed early: let the maps end, which Close waits for
		select {
		case <-ready:
		default:
			close(ready)
		}
	}()
	secret := []byte("Tr0ub4dor&3-the-job-secret")
	cfg := Config(t.TempDir())
	cfg.Secret = secret
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- c.Run(context.Background()) }()
	relays := []*relay{newRelay(t, c.Addr())}
	cl := &Cluster{T: t, C: c, App: app}
	for i := range 2 {
		wc := WorkerConfig(relays[0].ln.Addr().String(), cfg, app, t.TempDir())
		wc.Advertise = fmt.Sprintf("127.0.0.1%d", i) // peers fetch through the relay there
		w, err := worker.New(wc)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go w.Run(ctx)
		t.Cleanup(func() { cancel(); w.Close() })
	}
	cl.WaitFor("both workers joined", func(sum protocol.Summary) bool { return len(sum.Workers) == 2 })
	for _, w := range cl.C.Summary().Workers {
		_, port, err := net.SplitHostPort(w.Addr)
		if err != nil {
			t.Fatal(err)
		}
		relays = append(relays, newRelayOn(t, w.Addr, net.JoinHostPort("127.0.0.1", port)))
	}
	close(ready)
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
	for _, fetched := range []string{"CONNECT " + protocol.PathRPC, "POST /runs", "POST /reduce", "GET /split", "ReportReduce"} {
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
	inputs := Inputs(t, 2)
	app := WordCount()
	gate := make(chan struct{})
	mapFn := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		<-gate // hold the honest worker's map attempt running
		return mapFn(name, contents)
	}
	cfg := Config(t.TempDir())
	cfg.Secret = []byte("s")
	cfg.HeartbeatTimeout = 5 * time.Second
	cl := Start(t, cfg, inputs, app, 1)
	cl.WaitFor("a map running on w1", func(sum protocol.Summary) bool { return Running(sum, "map-0") })
	victim := protocol.Attempt{WorkerID: "w1", Kind: protocol.MapTask, Task: 0, N: 1}

	// The attacker registers properly: it gets a session of its own, w2.
	keys := auth.New(cfg.Secret)
	conn, err := wire.DialRPC(cl.C.Addr(), time.Second, keys.RPCKey())
	if err != nil {
		t.Fatal(err)
	}
	rc := rpc.NewClientWithCodec(wire.NewClientCodec(conn))
	defer rc.Close()
	ex := auth.NewExchange()
	var reg protocol.RegisterReply
	if err := rc.Call("Coordinator.Register", &protocol.RegisterArgs{App: "wc", Addr: "127.0.0.1:9", Public: ex.Public(), Partitioning: protocol.Partitioning}, &reg); err != nil {
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
		req, _ := http.NewRequest(http.MethodGet, wire.SplitURL(cl.C.Addr(), victim), nil)
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

	if a := Task(t, cl.C.Summary(), "map-0").Attempts; len(a) != 1 || a[0].Worker != "w1" || a[0].Outcome != "running" {
		t.Fatalf("w1's attempt is no longer running: a forged call changed state: %+v", a)
	}
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
}
