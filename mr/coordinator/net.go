package coordinator

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// limitListener accepts at most max connections at once; one more is
// closed at once (and reported through refused), so a peer that opens
// connections and never closes them cannot exhaust the process.
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused func(addr net.Addr)
}

func newLimitListener(ln net.Listener, max int, refused func(net.Addr)) net.Listener {
	return &limitListener{Listener: ln, max: int64(max), refused: refused}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitConn{Conn: c, release: func() { l.open.Add(-1) }}, nil
		}
		l.open.Add(-1)
		l.refused(c.RemoteAddr())
		c.Close()
	}
}

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// listen opens a TCP listener, with an error that names the address once.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		return nil, fmt.Errorf("mr: listening on %s: %w", addr, err)
	}
	return ln, nil
}
