// The flood's kinds: what each connection sends once connected (nothing,
// headers a byte at a time, half a body, a trickled frame, a trickled
// handshake) and the scripts that play them.

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
)

// kind is what one flooding connection does once connected. None of them
// ever completes a request: each holds a slot of the server's for as long
// as the server lets it.
type kind int

const (
	kindIdle          kind = iota // connect, send nothing
	kindSlowHeaders               // a request line and headers, one byte every -trickle, never ended
	kindPartialBody               // whole headers announcing a body, part of the body, then nothing
	kindTrickleFrames             // the RPC handshake, a frame header announcing 1 MiB, part of the frame, then a byte every -trickle
	kindHandshakes                // an RPC handshake (CONNECT), one byte every -trickle, never ended
)

var kindNames = [...]string{"idle", "slow-headers", "partial-body", "trickle-frames", "handshakes"}

func (k kind) String() string { return kindNames[k] }

// coordinatorOnly reports whether k attacks what only the coordinator
// serves (net/rpc after a CONNECT).
func (k kind) coordinatorOnly() bool { return k == kindTrickleFrames || k == kindHandshakes }

// parseKinds reads -flood: "all", or kinds separated by commas.
func parseKinds(s string) ([]kind, error) {
	if s == "all" {
		return []kind{kindIdle, kindSlowHeaders, kindPartialBody, kindTrickleFrames, kindHandshakes}, nil
	}
	var ks []kind
	for name := range strings.SplitSeq(s, ",") {
		i := 0
		for i < len(kindNames) && kindNames[i] != name {
			i++
		}
		if i == len(kindNames) {
			return nil, fmt.Errorf("unknown flood kind %q (want all, or some of %s)", name, strings.Join(kindNames[:], ", "))
		}
		ks = append(ks, kind(i))
	}
	return ks, nil
}

// Sizes announced by partial-body. Towards the coordinator, a reduce
// upload under net/http's 256 KiB allowance for a body the handler did not
// read: refusing the request, the server still waits for the rest before
// it answers. Towards a worker, a runs request as large as it accepts.
const (
	uploadAnnounced = 192 << 10
	runsAnnounced   = 16 << 20
)

// script is what one connection sends: first, at once; if handshake,
// first is a CONNECT, whose answer it reads before it sends then; then
// trickle, one byte every interval; then, if endless, pad, one byte every
// interval for ever.
type script struct {
	first     net.Buffers // pieces, the bytes of a body or frame shared by every connection
	handshake bool
	then      net.Buffers
	trickle   []byte
	pad       byte
	endless   bool
}

// newScript is kind k's script against t; body is the bytes of a
// partial body or frame sent at once (shared, never written to).
func newScript(k kind, t target, body []byte) script {
	switch k {
	case kindSlowHeaders:
		return script{trickle: []byte(requestHead(t) + "X-Pad: "), pad: 'a', endless: true}
	case kindPartialBody:
		return script{first: net.Buffers{partialHead(t), body[:min(len(body), announced(t)-1)]}}
	case kindTrickleFrames:
		// The frame's length, as the codec reads it: 4 bytes, big-endian.
		n := wire.MaxRequest
		hdr := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return script{first: net.Buffers{[]byte(connectRequest() + "\r\n")}, handshake: true,
			then: net.Buffers{hdr, body[:min(len(body), n-1)]}, endless: true}
	case kindHandshakes:
		return script{trickle: []byte(connectRequest() + "X-Pad: "), pad: 'a', endless: true}
	}
	return script{}
}

// requestHead is the request line and Host header of the request a
// connection pretends to send: a split read from the coordinator, a runs
// fetch from a worker.
func requestHead(t target) string {
	if t.coordinator {
		u := wire.SplitURL(t.addr, protocol.Attempt{WorkerID: "w1", Kind: protocol.MapTask, N: 1})
		return "GET " + strings.TrimPrefix(u, "http://"+t.addr) + " HTTP/1.1\r\nHost: " + t.addr + "\r\n"
	}
	return "POST " + protocol.PathRuns + "?reduce=0 HTTP/1.1\r\nHost: " + t.addr + "\r\n"
}

// announced is the length of the body partial-body announces to t.
func announced(t target) int {
	if t.coordinator {
		return uploadAnnounced
	}
	return runsAnnounced
}

// partialHead is a POST's whole head, with made-up signature headers,
// announcing a body: a reduce upload to the coordinator, a runs fetch
// from a worker.
func partialHead(t target) []byte {
	var b strings.Builder
	if t.coordinator {
		u := wire.ReduceURL(t.addr, protocol.Attempt{WorkerID: "w1", Kind: protocol.ReduceTask, N: 1})
		b.WriteString("POST " + strings.TrimPrefix(u, "http://"+t.addr) + " HTTP/1.1\r\nHost: " + t.addr + "\r\n")
		b.WriteString(protocol.HeaderCRC + ": 0\r\n")
	} else {
		b.WriteString(requestHead(t))
	}
	for k, v := range forged() {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(announced(t)) + "\r\n\r\n")
	return []byte(b.String())
}

// play runs a script on conn until the connection fails: closed by the
// server, or by us (the caller tells which). Whatever the server sends
// is counted as an answer and otherwise ignored.
func (s script) play(conn net.Conn, every time.Duration, st *counts) error {
	if err := write(conn, s.first); err != nil {
		return err
	}
	if s.handshake {
		if err := readHandshake(conn, st); err != nil {
			return err
		}
		if err := write(conn, s.then); err != nil {
			return err
		}
	}
	buf := make([]byte, 256)
	next := time.Now().Add(jitter(every)) // spreads the wake-ups of all connections
	sent, answered := 0, false
	for {
		if sent >= len(s.trickle) && !s.endless {
			conn.SetReadDeadline(time.Time{})
		} else {
			conn.SetReadDeadline(next)
		}
		n, err := conn.Read(buf)
		if n > 0 {
			if !answered {
				answered = true
				st.answer(buf[:n])
			}
			continue
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			return err
		}
		b := s.pad
		if sent < len(s.trickle) {
			b = s.trickle[sent]
		}
		sent++
		if _, err := conn.Write([]byte{b}); err != nil {
			return err
		}
		next = next.Add(every)
	}
}

// write writes the pieces, leaving the script's own list as it was.
func write(conn net.Conn, pieces net.Buffers) error {
	bufs := slices.Clone(pieces)
	_, err := bufs.WriteTo(conn)
	return err
}

// readHandshake reads the answer to a CONNECT, up to its blank line.
func readHandshake(conn net.Conn, st *counts) error {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 512)
	for !strings.Contains(string(got), "\r\n\r\n") {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || len(got) > 4096 {
			if len(got) > 0 {
				st.answer(got)
			}
			if err == nil {
				err = io.ErrShortBuffer
			}
			return err
		}
	}
	if !strings.HasPrefix(string(got), "HTTP/1.0 200") {
		st.answer(got)
	}
	return nil
}
