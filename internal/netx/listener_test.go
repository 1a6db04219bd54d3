// Tests of the Listener on fake connections and a fake clock: who is
// dropped, deadlines, marking.

package netx

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeListener hands out the server ends of pipes, from the addresses
// the test chooses.
type fakeListener struct {
	conns chan net.Conn
	done  chan struct{}
}

func newFakeListener() *fakeListener {
	return &fakeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *fakeListener) Close() error   { close(l.done); return nil }
func (l *fakeListener) Addr() net.Addr { return tcpAddr("127.0.0.1:7000") }

func tcpAddr(s string) *net.TCPAddr { return net.TCPAddrFromAddrPort(mustAddrPort(s)) }

// deadlineConn is a pipe end with addresses, which records the deadlines
// set on it.
type deadlineConn struct {
	net.Conn
	local, remote net.Addr

	mu     sync.Mutex
	rd, wd time.Time
}

func (c *deadlineConn) LocalAddr() net.Addr  { return c.local }
func (c *deadlineConn) RemoteAddr() net.Addr { return c.remote }
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}
func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rd = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}
func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wd = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}
func (c *deadlineConn) deadlines() (time.Time, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rd, c.wd
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is a Listener over a fakeListener, with a fake clock.
type harness struct {
	t     *testing.T
	fl    *fakeListener
	ln    *Listener
	clock *fakeClock

	mu      sync.Mutex
	refused []string // "host why"
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, fl: newFakeListener(), clock: &fakeClock{now: time.Now()}}
	cfg.Now = h.clock.Now
	cfg.Refused = func(host, why string) {
		h.mu.Lock()
		h.refused = append(h.refused, host+" "+why)
		h.mu.Unlock()
	}
	h.ln = NewListener(h.fl, cfg)
	t.Cleanup(func() { h.ln.Close() })
	return h
}

// dial connects from remote ("ip:port") and returns the client's end and
// the Conn the listener admitted.
func (h *harness) dial(remote string) (net.Conn, *Conn, *deadlineConn) {
	client, server := net.Pipe()
	dc := &deadlineConn{Conn: server, local: tcpAddr("127.0.0.1:7000"), remote: tcpAddr(remote)}
	got := make(chan net.Conn, 1)
	go func() {
		c, err := h.ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		got <- c
	}()
	h.fl.conns <- dc
	c := <-got
	h.t.Cleanup(func() { client.Close(); c.Close() })
	return client, c.(*Conn), dc
}

func (h *harness) takeRefused() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.refused
	h.refused = nil
	return r
}

// closedByServer reports whether the server closed the client's pipe.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
}

func TestListenerDropsOldestAndReports(t *testing.T) {
	h := newHarness(t, Config{MaxConns: 3, Reserve: 1, MaxPerHost: 10})
	a, _, _ := h.dial("10.0.0.1:1000")
	_, bc, _ := h.dial("10.0.0.2:1000")
	if !MarkAuthenticated(IdleConn{Conn: bc, Idle: time.Second}) { // found through the wrapper
		t.Fatal("b could not be marked")
	}
	h.dial("10.0.0.3:1000") // 3 open: full
	h.dial("10.0.0.4:1000")
	if !closedByServer(a) {
		t.Fatal("the oldest unauthenticated connection was not dropped")
	}
	if got := h.takeRefused(); len(got) != 1 || got[0] != "10.0.0.1 "+whyCap {
		t.Fatalf("refused %q", got)
	}
	h.clock.add(defaultAuthTimeout + time.Second)
	h.dial("10.0.0.5:1000") // sweeps those too slow
	if got := h.takeRefused(); len(got) != 2 || got[0] != "10.0.0.3 "+whyTooSlow || got[1] != "10.0.0.4 "+whyTooSlow {
		t.Fatalf("refused %q", got)
	}
	if s := h.ln.Stats(); s.Open != 2 || s.Unauthenticated != 1 || s.Dropped != 3 || s.Accepted != 5 {
		t.Fatalf("stats %+v", s)
	}
	if !bc.authenticated() || bc.host() != "10.0.0.2" {
		t.Fatalf("b: authenticated %v, host %q", bc.authenticated(), bc.host())
	}
}

// Until it authenticates, every deadline the server sets is brought
// forward to the connection's AuthTimeout; then the server's own apply.
func TestListenerDeadlines(t *testing.T) {
	h := newHarness(t, Config{AuthTimeout: 10 * time.Second})
	by := h.clock.Now().Add(10 * time.Second)
	_, c, dc := h.dial("10.0.0.1:1000")
	check := func(what string, wantR, wantW time.Time) {
		t.Helper()
		if r, w := dc.deadlines(); !r.Equal(wantR) || !w.Equal(wantW) {
			t.Fatalf("%s: socket deadlines %v, %v; want %v, %v", what, r, w, wantR, wantW)
		}
	}
	check("accepted", by, by)
	c.SetReadDeadline(time.Time{})
	check("read deadline cleared", by, by)
	c.SetReadDeadline(by.Add(time.Hour))
	check("read deadline later", by, by)
	soon := by.Add(-5 * time.Second)
	c.SetReadDeadline(soon)
	check("read deadline sooner", soon, by)
	c.SetWriteDeadline(time.Time{})
	check("write deadline cleared", soon, by)
	if !c.markAuthenticated() || !c.markAuthenticated() {
		t.Fatal("not marked")
	}
	check("authenticated: the server's own", soon, time.Time{})
	c.SetDeadline(time.Time{})
	check("authenticated, cleared", time.Time{}, time.Time{})
}

func TestMarkWithoutAListener(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if MarkAuthenticated(a) || MarkAuthenticated(IdleConn{Conn: a}) {
		t.Fatal("a connection of no Listener was marked")
	}
}
