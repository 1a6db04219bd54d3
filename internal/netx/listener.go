// Listener, the listener no outsider can fill, and Conn, its connections
// with deadlines clamped until they authenticate; MarkRequest and
// MarkAuthenticated mark them.

package netx

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	defaultMaxConns    = 1024
	defaultMaxPerHost  = 64
	defaultAuthTimeout = 10 * time.Second
)

// Config bounds a Listener. Zero fields take the defaults.
type Config struct {
	// MaxConns is how many connections may be open at once
	// (default 1024).
	MaxConns int
	// Reserve is how many of them unauthenticated connections may never
	// take, so that authenticated ones always have room (MaxConns/4).
	Reserve int
	// MaxPerHost is how many unauthenticated connections one host may
	// hold (default 64); the listener's own host is exempt.
	MaxPerHost int
	// AuthTimeout is how long a connection may stay unauthenticated: every
	// read and write on it fails past this much after it was accepted, and
	// it is closed (default 10 s).
	AuthTimeout time.Duration
	// Now is the clock (time.Now). It sets real sockets' deadlines, so it
	// must be the wall clock unless the connections are fakes.
	Now func() time.Time
	// Refused, if set, hears of every connection dropped or refused, with
	// its source host (Host) and why, in a few words ("not authenticated
	// in time"); it must not block. Rate-limit what it logs: an attacker
	// decides how often.
	Refused func(host, why string)
}

func (c Config) withDefaults() Config {
	if c.MaxConns <= 0 {
		c.MaxConns = defaultMaxConns
	}
	if c.Reserve <= 0 {
		c.Reserve = c.MaxConns / 4
	}
	c.Reserve = min(c.Reserve, c.MaxConns-1)
	if c.MaxPerHost <= 0 {
		c.MaxPerHost = defaultMaxPerHost
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = defaultAuthTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Refused == nil {
		c.Refused = func(string, string) {}
	}
	return c
}

// Listener tracks every connection it accepts: its source host, whether
// it has authenticated (MarkAuthenticated), and when it was accepted. A
// newcomer is always admitted while some connection is unauthenticated:
// when a cap is full, the oldest unauthenticated connection in the way is
// dropped instead (by age, not idleness: an attacker can trickle bytes to
// look busy, while an honest client authenticates within a round trip of
// connecting). Authenticated connections are never dropped for a
// newcomer, and keep Reserve places that unauthenticated ones never take.
type Listener struct {
	net.Listener
	cfg Config

	// mu guards tab and the entries in it.
	mu  sync.Mutex
	tab *table

	accepted, dropped atomic.Int64
}

// NewListener wraps ln.
func NewListener(ln net.Listener, cfg Config) *Listener {
	cfg = cfg.withDefaults()
	return &Listener{Listener: ln, cfg: cfg, tab: newTable(cfg.MaxConns, cfg.Reserve, cfg.MaxPerHost)}
}

// Accept waits for the next connection it admits; connections it drops
// or refuses on the way are closed and reported to Config.Refused.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.accepted.Add(1)
		now := l.cfg.Now()
		c := &Conn{Conn: nc, l: l, authBy: now.Add(l.cfg.AuthTimeout)}
		c.e = &entry{host: Host(nc.RemoteAddr().String()), own: sameHost(nc), accepted: now, conn: c}
		nc.SetDeadline(c.authBy)
		l.mu.Lock()
		drops := l.tab.expire(now.Add(-l.cfg.AuthTimeout))
		more, ok := l.tab.admit(c.e)
		l.mu.Unlock()
		l.close(append(drops, more...))
		if ok {
			return c, nil
		}
	}
}

// close closes what the table dropped, outside the lock, and reports it.
func (l *Listener) close(drops []dropped) {
	for _, d := range drops {
		l.dropped.Add(1)
		d.e.conn.Conn.Close()
		l.cfg.Refused(d.e.host, d.why)
	}
}

// Stats is a listener's counts.
type Stats struct {
	Open            int   // connections open now
	Unauthenticated int   // of them, not authenticated yet
	Hosts           int   // distinct hosts among the unauthenticated (the own host apart)
	Accepted        int64 // connections accepted in all
	Dropped         int64 // of them, dropped or refused by the listener
}

// Stats counts the listener's connections.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.tab.open(), Unauthenticated: l.tab.unauth.Len(), Hosts: len(l.tab.byHost),
		Accepted: l.accepted.Load(), Dropped: l.dropped.Load()}
}

func (l *Listener) authenticate(e *entry) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tab.authenticate(e)
}

func (l *Listener) remove(e *entry) {
	l.mu.Lock()
	l.tab.remove(e)
	l.mu.Unlock()
}

// Conn is a connection a Listener accepted. Until it is marked
// authenticated, every deadline set on it is brought forward to its
// AuthTimeout, and a deadline cleared stays there.
type Conn struct {
	net.Conn
	l      *Listener
	e      *entry    // guarded by l.mu
	authBy time.Time // accepted + AuthTimeout
	authed atomic.Bool
	once   sync.Once // releases the place in the table

	// mu guards rd and wd, and orders deadline changes on the socket.
	mu     sync.Mutex
	rd, wd time.Time // the deadlines the server asked for
}

// host is the source host the connection is counted against.
func (c *Conn) host() string { return c.e.host }

// authenticated reports whether MarkAuthenticated succeeded on c.
func (c *Conn) authenticated() bool { return c.authed.Load() }

// markAuthenticated tells the listener that the peer has proved itself (a
// request or frame on c verified): c keeps its place for good, and the
// deadlines the server set apply as set. It is false if c was dropped
// already.
func (c *Conn) markAuthenticated() bool {
	if c.authed.Load() {
		return true
	}
	if !c.l.authenticate(c.e) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.authed.Store(true)
	c.Conn.SetReadDeadline(c.rd)
	c.Conn.SetWriteDeadline(c.wd)
	return true
}

// SetDeadline sets both deadlines (see SetReadDeadline).
func (c *Conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd, c.wd = t, t
	return c.Conn.SetDeadline(c.clampLocked(t))
}

// SetReadDeadline sets the read deadline, brought forward to the
// connection's AuthTimeout while it is unauthenticated.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd = t
	return c.Conn.SetReadDeadline(c.clampLocked(t))
}

// SetWriteDeadline sets the write deadline, as SetReadDeadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wd = t
	return c.Conn.SetWriteDeadline(c.clampLocked(t))
}

func (c *Conn) clampLocked(t time.Time) time.Time {
	if c.authed.Load() || (!t.IsZero() && t.Before(c.authBy)) {
		return t
	}
	return c.authBy
}

// Close closes the connection and gives its place back.
func (c *Conn) Close() error {
	c.once.Do(func() { c.l.remove(c.e) })
	return c.Conn.Close()
}

// NetConn is the connection underneath.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// CloseWrite shuts down the writing side, if the connection underneath
// can (net/http does so before closing, for the peer to read the answer).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom lets a copy to the connection use the socket's own (sendfile,
// splice), as net/http does when serving a file.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// MarkAuthenticated marks c authenticated if it is, or wraps, a *Conn of
// a Listener: a wrapper is looked through by its NetConn method (as
// *tls.Conn and IdleConn have). It is false if there is no such *Conn, or
// it was dropped already.
func MarkAuthenticated(c net.Conn) bool {
	if lc := find(c); lc != nil {
		return lc.markAuthenticated()
	}
	return false
}

// find looks for a *Conn in c and what c wraps.
func find(c net.Conn) *Conn {
	for range 16 { // wrappers do not nest deeper
		switch v := c.(type) {
		case *Conn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

type connKey struct{}

// ConnContext is for http.Server.ConnContext: it lets a handler mark the
// connection its request came on (MarkRequest).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// MarkRequest marks the connection that carried r authenticated: call it
// once r's signature verified, before reading r's body. It is false if
// the server has no ConnContext or the connection is not a Listener's.
func MarkRequest(r *http.Request) bool {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	return c != nil && MarkAuthenticated(c)
}

// sameHost reports whether c comes from the host it reached: a process
// of this host, such as a worker fetching from its own server.
func sameHost(c net.Conn) bool {
	r, err1 := netip.ParseAddrPort(c.RemoteAddr().String())
	l, err2 := netip.ParseAddrPort(c.LocalAddr().String())
	return err1 == nil && err2 == nil && r.Addr().Unmap() == l.Addr().Unmap()
}
