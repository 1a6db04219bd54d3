// front.go: the coordinator's network front: one listener for net/rpc
// and HTTP, the keys and limits that decide who comes in, and the RPC
// connections being served.

package coordinator

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/wire"
)

// front is the coordinator's network front. Its listener, server and
// keys are fixed once New returns.
type front struct {
	ln     net.Listener
	http   *http.Server
	keys   *auth.Keys    // nil without a secret
	fresh  *auth.Replay  // nonces of signed requests, for freshness
	refuse *auth.Limiter // one log line per refused peer per minute
	log    *slog.Logger

	// mu guards conns, the RPC connections being served (hijacked from
	// the HTTP server, which no longer sees them), which close closes,
	// and closing, set by close: a connection tracked after it is closed
	// at once.
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool
}

func newFront(cfg Config) front {
	return front{keys: auth.New(cfg.Secret), fresh: auth.NewReplayQuota(wire.FreshWindow, 1<<20, 1<<17),
		refuse: auth.NewLimiter(time.Minute), log: cfg.Logger, conns: make(map[net.Conn]struct{})}
}

// addr is the address the front listens on.
func (f *front) addr() string { return f.ln.Addr().String() }

// refused logs a request or connection refused from peer, at most once
// per peer per minute; the peer's port is not part of what is limited.
func (f *front) refused(peer, what string, err error) {
	host, _, splitErr := net.SplitHostPort(peer)
	if splitErr != nil {
		host = peer
	}
	if f.refuse.Allow(host, time.Now()) {
		f.log.Warn("refused", "peer", peer, "what", what, "err", err, "note", "further refusals from this host are not logged for a minute")
	}
}

// track and untrack count an RPC connection in and out.
func (f *front) track(conn net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		conn.Close() // its server's first read fails
		return
	}
	f.conns[conn] = struct{}{}
}

func (f *front) untrack(conn net.Conn) {
	f.mu.Lock()
	delete(f.conns, conn)
	f.mu.Unlock()
}

// openConns is how many RPC connections are being served.
func (f *front) openConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.conns)
}

// close stops serving: first the RPC connections, then HTTP requests get
// a second to end, then reads fail and handlers return. RPC goes first so
// that a coordinator hands out nothing once its listener is closed: a
// worker still connected would get attempts whose split it can no longer
// fetch, and be excluded for failing them.
func (f *front) close() {
	f.mu.Lock()
	f.closing = true
	for conn := range f.conns {
		conn.Close()
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	f.http.Shutdown(ctx)
	f.http.Close() // what Shutdown left after a second: reads fail, handlers return
}

// reachableAddr is the listen address as other hosts dial it: an
// unspecified host (0.0.0.0, ::) becomes this machine's first
// non-loopback address.
func (f *front) reachableAddr() string {
	tcp, ok := f.ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return f.addr()
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return net.JoinHostPort(ipn.IP.String(), fmt.Sprint(tcp.Port))
		}
	}
	return f.addr()
}

// loopbackOnly reports whether the front listens on loopback only.
func (f *front) loopbackOnly() bool {
	tcp, ok := f.ln.Addr().(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
