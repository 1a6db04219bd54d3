package protocol

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

const rpcConnected = "200 Connected to mapreduce RPC"

const (
	headerNonce = "X-Mr-Nonce"
	headerProof = "X-Mr-Proof"
)

// ErrNeedSecret and ErrNoSecret are a worker's secret not matching its
// coordinator's: the coordinator has one and the worker not, or the
// reverse (or a different one).
var (
	ErrNeedSecret = errors.New("job secret required: set MR_SECRET or -secret-file, the same on every host")
	ErrNoSecret   = errors.New("the coordinator has no job secret, but MR_SECRET or -secret-file is set here")
	ErrBadSecret  = errors.New("job secret differs from the coordinator's")
)

// RPCConn is a connection after the handshake.
type RPCConn struct {
	net.Conn
	ServerNonce []byte // unique to this connection; sessions prove themselves over it
	frameKey    []byte // nil: frames carry no MAC (no secret)
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
	io.WriteString(conn, "CONNECT "+PathRPC+" HTTP/1.0\r\n"+headerNonce+": "+hex.EncodeToString(cn)+"\r\n\r\n")
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
		return ErrNeedSecret
	case rpcKey == nil:
		return nil
	case proof == "":
		return ErrNoSecret
	}
	got, err := hex.DecodeString(proof)
	if err != nil || !auth.Equal(got, auth.Sum(rpcKey, []byte("server"), cn, sn)) {
		return ErrBadSecret
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
// connection, on which the caller then serves net/rpc (NewServerCodec).
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
	io.WriteString(conn, answer+"\r\n")
	return &RPCConn{Conn: conn, ServerNonce: sn, frameKey: frameKey(rpcKey, cn, sn)}, nil
}
