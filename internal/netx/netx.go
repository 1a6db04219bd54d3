// Package netx is the network plumbing both processes share: a listener
// that no outsider can fill (Listener), deadlines for connections that
// have not authenticated yet and for bodies read after they did
// (ReadBody), and small helpers (Listen, Host, IsLoopback, IdleConn). It
// imports nothing of the engine.
//
// # Before and after authentication
//
// A server wraps its listener (NewListener). Every connection it accepts
// starts unauthenticated: it has AuthTimeout (10 s) from its accept to
// prove itself, every read and write on it failing past that, and it may
// be dropped at any moment to make room for a newcomer. Once a request or
// frame on it verified, the server marks it (MarkRequest for HTTP, with
// ConnContext installed on the http.Server; MarkAuthenticated for a
// hijacked connection): from then on its deadlines are the server's own,
// and no newcomer can take its place.
//
// So a server that checks a request's signed headers before reading its
// body, and an RPC frame's MAC before decoding it, reads at most a few
// KiB from a stranger, for at most AuthTimeout, and never lets strangers
// keep its peers out.
package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Listen opens a TCP listener on addr. Its error names the address once,
// "listening on :7000: address already in use", for the caller to prefix.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// IsLoopback reports whether addr's host ("host:port") is a loopback
// address or "localhost".
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return host == "localhost" || (err == nil && ip.IsLoopback())
}

// Host is the source host of a remote address ("ip:port", as
// http.Request.RemoteAddr) as the Listener counts connections and replay
// caches count requests: the IP for IPv4 (IPv4-mapped IPv6 included) and
// for IPv6 loopback, the /64 prefix for other IPv6 (a host usually owns a
// whole /64), the host part or the whole string for anything else.
func Host(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			return host
		}
		return addr
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() || ip.IsLoopback() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}

// IdleConn is a connection whose every read must make progress within
// Idle: a peer that goes quiet is dropped.
type IdleConn struct {
	net.Conn
	Idle time.Duration
}

// Read reads, failing if nothing arrives within Idle.
func (c IdleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.Idle))
	return c.Conn.Read(p)
}

// NetConn is the connection underneath.
func (c IdleConn) NetConn() net.Conn { return c.Conn }

// HTTPClient returns a client whose connections are dialled within dial
// and dropped when a read makes no progress within stall (IdleConn), as
// is a wait for a response's header; it keeps up to perHost idle
// connections a host, stall long.
func HTTPClient(dial, stall time.Duration, perHost int) *http.Client {
	dialer := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return IdleConn{Conn: conn, Idle: stall}, nil
		},
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       stall,
		ResponseHeaderTimeout: stall,
		DisableCompression:    true,
	}}
}
