// The status page's read-only token under attack: its holder may read,
// and nothing more.

package coordinator_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/coordinator"
)

// tokenFloodConns is how many keep-alive GET /status?token= connections
// the attacker holds: more than the coordinator's 2,048 places.
const tokenFloodConns = 2100

// A holder of the read-only token who keeps 2,100 keep-alive GET
// /status?token= connections open (dialling again, after 2 s, each one
// the coordinator drops) stalls no job of the secret: a secured job's
// workers all join, none dead or excluded, and it ends with
// mrsequential's output within twice its unattacked time plus 10 s. A
// token connection is a stranger's to the listener, so newcomers take
// its place; before, the token authenticated it, and 2,048 of them kept
// every worker out.
func TestStatusTokenFloodStallsNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of 2,100 connections")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 2*tokenFloodConns+1000 {
		t.Skipf("open files limited to %d: both ends of %d connections do not fit", lim.Cur, tokenFloodConns)
	}
	inputs := Inputs(t, 4)
	app := WordCount()
	secured := func() coordinator.Config {
		cfg := Config(t.TempDir())
		cfg.Secret = []byte("token-flood-secret")
		return cfg
	}
	start := time.Now()
	calm := Start(t, secured(), inputs, app, 3)
	if err := calm.Wait(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Since(start)

	cfg := secured()
	cl := Start(t, cfg, inputs, app, 0)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	f := floodToken(ctx, t, cl.C, cfg.Secret)
	f.wait(t, tokenFloodConns)
	defer f.stop(stop)

	start = time.Now()
	for range 3 {
		cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir()))
	}
	bound := 2*t0 + 10*time.Second
	select {
	case err := <-cl.result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(bound):
		t.Fatalf("under %d token connections the job did not end within %s (2 x %s + 10 s); %d workers joined; %d token requests answered",
			tokenFloodConns, bound, t0, len(cl.C.Summary().Workers), f.answered.Load())
	}
	t.Logf("unattacked %s; under the token flood %s (bound %s); %d token requests answered",
		t0.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), bound, f.answered.Load())
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	if len(sum.Workers) != 3 {
		t.Fatalf("%d workers joined, want 3", len(sum.Workers))
	}
	for _, w := range sum.Workers {
		if w.Dead || w.Excluded != "" {
			t.Fatalf("worker %s: dead %v, excluded %q", w.ID, w.Dead, w.Excluded)
		}
	}
}

// tokenFlood is the attacker's connections.
type tokenFlood struct {
	bell
	wg       sync.WaitGroup
	tried    atomic.Int64 // holders whose first connection was answered or dropped
	answered atomic.Int64 // 200s to GET /status?token=
}

// floodToken starts tokenFloodConns holders of the token of c's job
// (derived from its secret), one a millisecond, each holding a keep-alive connection that read the
// status once, until ctx ends.
func floodToken(ctx context.Context, t *testing.T, c *coordinator.Coordinator, secret []byte) *tokenFlood {
	token := protocol.StatusToken(secret, jobOf(t, c.Addr()))
	f := &tokenFlood{}
	req := fmt.Sprintf("GET %s?%s=%s HTTP/1.1\r\nHost: %s\r\n\r\n", protocol.PathStatus, protocol.TokenParam, token, c.Addr())
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for range tokenFloodConns {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			f.wg.Add(1)
			go f.hold(ctx, c.Addr(), req)
		}
	}()
	return f
}

// hold keeps one connection that read the status with the token open
// until the coordinator drops it, then dials again after 2 s.
func (f *tokenFlood) hold(ctx context.Context, addr, req string) {
	defer f.wg.Done()
	first := true
	for ctx.Err() == nil {
		if conn, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			stopClose := context.AfterFunc(ctx, func() { conn.Close() })
			if f.ask(conn, req) {
				f.answered.Add(1)
			}
			if first {
				first = false
				f.tried.Add(1)
				f.ring()
			}
			conn.Read(make([]byte, 1)) // held until the coordinator (or the test's end) closes it
			stopClose()
			conn.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// ask sends the request on conn and reports whether it was answered 200.
func (f *tokenFlood) ask(conn net.Conn, req string) bool {
	if _, err := io.WriteString(conn, req); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// wait waits until n holders have made their first connection.
func (f *tokenFlood) wait(t *testing.T, n int) {
	t.Helper()
	f.bell.wait(t, fmt.Sprintf("%d token connections", n), func() bool { return f.tried.Load() >= int64(n) })
}

// stop ends the flood and waits for its goroutines.
func (f *tokenFlood) stop(cancel context.CancelFunc) {
	cancel()
	f.wg.Wait()
}

// jobOf is the job of the coordinator at addr, as its refusal of GET
// /status without the token names it: what a holder of the secret
// derives the token from.
func jobOf(t *testing.T, addr string) string {
	resp, err := http.Get("http://" + addr + protocol.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	job := resp.Header.Get(protocol.JobHeader)
	if resp.StatusCode != http.StatusUnauthorized || job == "" {
		t.Fatalf("GET %s without the token: %s, job %q", protocol.PathStatus, resp.Status, job)
	}
	return job
}
