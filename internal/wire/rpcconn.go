// The RPC handshake: a connection opened, the secret proven both ways, and a session resumed.

package wire

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mapreduce/internal/protocol"
	"net"
	"net/http"
	"os"
	"time"

	"mapreduce/internal/auth"
)

// The RPC handshake. The worker sends
//
//	CONNECT /_mr_rpc_ HTTP/1.0
//	X-Mr-Nonce: <client nonce>
//
// and the coordinator answers
//
//	HTTP/1.0 200 Connected to mapreduce RPC
//	X-Mr-Nonce: <server nonce>
//	X-Mr-Proof: HMAC(rpc key, "server", client nonce, server nonce)   (with a secret)
//
// With a job secret the worker checks the proof (so it never talks to a
// coordinator without the secret), and every frame after the handshake
// carries an HMAC under a key of this connection alone (both nonces), so
// nothing the worker sends is decoded before it is known to come from a
// holder of the secret, and a captured connection cannot be replayed.
// The server nonce also anchors session proofs (Resume).
//
// The worker's part of the handshake is its first frame: small
// (MaxFirstFrame), whole within FirstFrameTimeout of the answer, and with
// a secret its MAC proves the secret over both nonces. The coordinator
// checks it before it allocates anything for the connection
// (Authenticate): a stranger costs it a few KiB for a few seconds.

const rpcConnected = "200 Connected to mapreduce RPC"

const (
	headerNonce = "X-Mr-Nonce"
	headerProof = "X-Mr-Proof"
)

// HandshakeTimeout bounds writing the coordinator's answer to a CONNECT.
const HandshakeTimeout = 5 * time.Second

// RPCConn is a connection after the handshake.
type RPCConn struct {
	net.Conn
	ServerNonce []byte // unique to this connection; sessions prove themselves over it
	frameKey    []byte // nil: frames carry no MAC (no secret)

	// The server's side only: when the handshake was answered, and the
	// first frame once Authenticate read and verified it.
	answered time.Time
	authed   bool
	first    []byte // its payload, until the codec decodes it
}

// NetConn is the connection under the handshake (for wrappers that look
// through, as netx.MarkAuthenticated does).
func (c *RPCConn) NetConn() net.Conn { return c.Conn }

// Authenticate reads the connection's first frame on the coordinator's
// side: it must arrive whole within timeout of the handshake
// (FirstFrameTimeout if 0), be at most MaxFirstFrame bytes and, with a
// secret, carry a valid MAC: the worker's proof that it holds the secret.
// It is read unbuffered, and nothing else is allocated for the connection
// before it returns nil; call it before building anything per connection,
// then mark the connection authenticated. The frame is decoded later, as
// the first request of the codec. A late or refused frame is an ErrFrame.
func (c *RPCConn) Authenticate(timeout time.Duration) error {
	if c.authed {
		return nil
	}
	if timeout <= 0 {
		timeout = FirstFrameTimeout
	}
	if c.answered.IsZero() {
		c.answered = time.Now()
	}
	c.SetReadDeadline(c.answered.Add(timeout))
	p, err := readFrame(c.Conn, MaxFirstFrame, c.frameKey, 'C', 0)
	if ne, ok := err.(net.Error); ok && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: the first frame did not arrive within %s of the handshake", ErrFrame, timeout)
	}
	if err != nil {
		return err
	}
	c.SetReadDeadline(time.Time{})
	c.first, c.authed = p, true
	return nil
}

// DialRPC connects to the coordinator at addr and performs the handshake
// within timeout. rpcKey is the job's RPC key, nil without a secret.
func DialRPC(addr string, timeout time.Duration, rpcKey []byte) (*RPCConn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	cn := auth.Nonce()
	io.WriteString(conn, "CONNECT "+protocol.PathRPC+" HTTP/1.0\r\n"+headerNonce+": "+hex.EncodeToString(cn)+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(conn, 4096)), &http.Request{Method: "CONNECT"})
	if err == nil && resp.Status != rpcConnected {
		err = fmt.Errorf("unexpected answer %q", resp.Status)
	}
	var sn []byte
	if err == nil {
		sn, err = auth.ParseNonce(resp.Header.Get(headerNonce))
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s is not a mapreduce coordinator: %w", addr, err)
	}
	if err := checkProof(rpcKey, resp.Header.Get(headerProof), cn, sn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("coordinator at %s: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})
	return &RPCConn{Conn: conn, ServerNonce: sn, frameKey: frameKey(rpcKey, cn, sn)}, nil
}

func checkProof(rpcKey []byte, proof string, cn, sn []byte) error {
	switch {
	case rpcKey == nil && proof != "":
		return protocol.ErrNeedSecret
	case rpcKey == nil:
		return nil
	case proof == "":
		return protocol.ErrNoSecret
	}
	got, err := hex.DecodeString(proof)
	if err != nil || !auth.Equal(got, auth.Sum(rpcKey, []byte("server"), cn, sn)) {
		return protocol.ErrBadSecret
	}
	return nil
}

func frameKey(rpcKey, cn, sn []byte) []byte {
	if rpcKey == nil {
		return nil
	}
	return auth.Sum(rpcKey, []byte("frames"), cn, sn)
}

// AcceptRPC answers a CONNECT request's handshake and takes over its
// connection. The caller then reads the first frame (Authenticate),
// marks the connection authenticated and serves net/rpc on it
// (NewServerCodecWith); a caller that skips Authenticate gets the same
// checks at the first request, before net/rpc decodes it.
func AcceptRPC(w http.ResponseWriter, r *http.Request, rpcKey []byte) (*RPCConn, error) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return nil, errors.New("not a CONNECT request")
	}
	cn, err := auth.ParseNonce(r.Header.Get(headerNonce))
	if err != nil {
		http.Error(w, "CONNECT needs "+headerNonce, http.StatusBadRequest)
		return nil, errors.New("CONNECT without a nonce")
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	sn := auth.Nonce()
	answer := "HTTP/1.0 " + rpcConnected + "\r\n" + headerNonce + ": " + hex.EncodeToString(sn) + "\r\n"
	if rpcKey != nil {
		answer += headerProof + ": " + hex.EncodeToString(auth.Sum(rpcKey, []byte("server"), cn, sn)) + "\r\n"
	}
	conn.SetWriteDeadline(time.Now().Add(HandshakeTimeout))
	if _, err := io.WriteString(conn, answer+"\r\n"); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetWriteDeadline(time.Time{})
	return &RPCConn{Conn: conn, ServerNonce: sn, frameKey: frameKey(rpcKey, cn, sn), answered: time.Now()}, nil
}
