// Tests of a Listener under a flood of strangers on loopback: honest
// clients still get through.

package netx

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// floodServer serves HTTP on a capped Listener on 127.0.0.1: a request
// with "X-Key: secret" is authentic; its connection is marked and its
// body read under ReadBody.
func floodServer(t *testing.T, cfg Config) (*Listener, string) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(raw, cfg)
	srv := &http.Server{ConnContext: ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Key") != "secret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !MarkRequest(r) {
			http.Error(w, "not marked", http.StatusInternalServerError)
			return
		}
		body, err := ReadBody(w, r, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "ok %d", len(body))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln, raw.Addr().String()
}

// dialFrom connects to addr from the loopback address from.
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", addr)
}

// stranger opens a connection that sends half a request's headers and
// then nothing, from one of eight loopback hosts or from the server's
// own host. It returns nil if the connection could not even be opened.
func stranger(i int, addr string) net.Conn {
	from := fmt.Sprintf("127.0.0.%d", 2+i%8)
	if i%5 == 0 {
		from = "127.0.0.1"
	}
	c, err := dialFrom(from, addr)
	if err != nil {
		return nil
	}
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n")
	return c
}

// honest is a client that authenticates, keeping its connection.
type honest struct {
	c  net.Conn
	br *bufio.Reader
}

func (h *honest) do() (string, error) {
	h.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(h.c, "POST / HTTP/1.1\r\nHost: x\r\nX-Key: secret\r\nContent-Length: 5\r\n\r\nhello"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b), err
}

func newHonest(from, addr string) (*honest, error) {
	c, err := dialFrom(from, addr)
	if err != nil {
		return nil, err
	}
	return &honest{c: c, br: bufio.NewReader(c)}, nil
}

func TestFloodDoesNotKeepHonestClientsOut(t *testing.T) {
	if c, err := dialFrom("127.0.0.2", "127.0.0.1:1"); err == nil {
		c.Close()
	} else if !strings.Contains(err.Error(), "refused") {
		t.Skipf("cannot use 127.0.0.2 as a source address: %v", err)
	}
	ln, addr := floodServer(t, Config{MaxConns: 64, Reserve: 16, MaxPerHost: 8, AuthTimeout: 2 * time.Second})

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := range 400 {
		if c := stranger(i, addr); c != nil {
			flood = append(flood, c)
		}
	}

	// Strangers keep arriving, a thousand a second (the listener holds 48),
	// while honest clients connect, one from another host and one from the
	// server's own. A connection dropped before it authenticated is tried
	// again, as the engine's clients do; an honest client kept out shows
	// as a timeout, or as needing more than three tries.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var more atomic.Int64
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if c := stranger(i, addr); c != nil {
				more.Add(1)
				defer c.Close()
			}
		}
	})
	var kept []*honest
	retries := 0
	pace := time.NewTicker(50 * time.Millisecond) // a second of flood in all
	defer pace.Stop()
	for i := range 20 {
		<-pace.C
		from := []string{"127.0.0.20", "127.0.0.1"}[i%2]
		var got string
		var err error
		for try := 0; try < 3; try++ {
			var h *honest
			if h, err = newHonest(from, addr); err != nil {
				t.Fatalf("honest client %d from %s could not connect: %v", i, from, err)
			}
			defer h.c.Close()
			if got, err = h.do(); err == nil {
				kept = append(kept, h)
				break
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				break
			}
			retries++
		}
		if err != nil || got != "200 OK ok 5" {
			t.Fatalf("honest client %d from %s: %q, %v (stats %+v)", i, from, got, err, ln.Stats())
		}
	}
	during := ln.Stats()
	close(stop)
	wg.Wait()
	if during.Open > 64 || during.Unauthenticated > 48 {
		t.Fatalf("caps not held during the flood: %+v", during)
	}

	// Authenticated connections kept their places through the flood.
	for i, h := range kept {
		if got, err := h.do(); err != nil || got != "200 OK ok 5" {
			t.Fatalf("kept connection %d: %q, %v", i, got, err)
		}
	}
	t.Logf("%d + %d strangers; %d honest tries again; stats during the flood %+v", len(flood), more.Load(), retries, during)

	// A stranger that never authenticates is closed within AuthTimeout.
	c := stranger(1, addr)
	if c == nil {
		t.Fatal("no stranger could connect")
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("stranger's connection: %v after %v", err, time.Since(start))
	}
}
