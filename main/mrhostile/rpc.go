// The attacks on the RPC side: CONNECT /_mr_rpc_ with a nonce, then
// length-prefixed gob frames. Without the secret the peer cannot compute
// the frames' MACs; it sends junk in their place and watches whether
// anything is answered.

package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"strings"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
)

// connectRequest is the start of an RPC handshake: the CONNECT line and
// a fresh nonce, without the blank line that ends it.
func connectRequest() string {
	return "CONNECT " + protocol.PathRPC + " HTTP/1.0\r\n" + auth.HeaderNonce + ": " + hex.EncodeToString(auth.Nonce()) + "\r\n"
}

// handshake connects and performs the CONNECT exchange, ignoring the
// coordinator's proof of the secret.
func handshake(addr string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, connectRequest()+"\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != 200 {
		conn.Close()
		return nil, nil, fmt.Errorf("handshake refused: %s", resp.Status)
	}
	return conn, br, nil
}

// frame encodes one call as a frame followed by 32 bytes where the MAC
// would be.
func frame(method string, args any) []byte {
	var payload bytes.Buffer
	enc := gob.NewEncoder(&payload)
	enc.Encode(&rpc.Request{ServiceMethod: method, Seq: 1})
	enc.Encode(args)
	out := binary.BigEndian.AppendUint32(nil, uint32(payload.Len()))
	out = append(out, payload.Bytes()...)
	junk := make([]byte, 32)
	rand.Read(junk)
	return append(out, junk...)
}

// sendRaw writes bytes after a handshake and reports whether anything was
// answered before the connection closed (or 3 s passed).
func sendRaw(addr string, data []byte) result {
	conn, br, err := handshake(addr)
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return unreached(err)
	}
	if err != nil {
		return refused("handshake: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	conn.Write(data)
	n, err := br.Read(make([]byte, 1))
	if n > 0 {
		return accepted("the coordinator answered a frame without a valid MAC")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return refused("no answer (connection left open, idle)")
	}
	return refused("connection closed without an answer")
}

func coordinatorAttacks(coord string) []attack {
	var as []attack
	for _, app := range []string{"../../hostile-pwned", "/etc/passwd", "..", "a/b", "", strings.Repeat("x", 1000)} {
		as = append(as, attack{"register as app " + fmt.Sprintf("%.20q", app), func() result {
			return sendRaw(coord, frame("Coordinator.Register", &protocol.RegisterArgs{App: app, Addr: "10.0.0.66:1", Public: make([]byte, 32)}))
		}})
	}
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("w%d", i)
		as = append(as,
			attack{"GetTask as " + id, func() result {
				return sendRaw(coord, frame("Coordinator.GetTask", &protocol.GetTaskArgs{WorkerID: id}))
			}},
			attack{"Heartbeat as " + id, func() result {
				return sendRaw(coord, frame("Coordinator.Heartbeat", &protocol.HeartbeatArgs{WorkerID: id}))
			}},
			attack{"ReportMap as " + id, func() result {
				args := &protocol.ReportMapArgs{Attempt: protocol.Attempt{WorkerID: id, Kind: protocol.MapTask, Task: i - 1, N: 1},
					NReduce: 10, Written: 1 << 20, Read: 1 << 20}
				return sendRaw(coord, frame("Coordinator.ReportMap", args))
			}},
			attack{"ReportFailure as " + id, func() result {
				return sendRaw(coord, frame("Coordinator.ReportFailure", &protocol.ReportFailureArgs{
					Attempt: protocol.Attempt{WorkerID: id, Kind: protocol.ReduceTask, N: 1}, Class: protocol.FailWorker, Err: "forged"}))
			}},
		)
	}
	as = append(as,
		attack{"rpc frame of 4 GiB", func() result { return sendRaw(coord, []byte{0xff, 0xff, 0xff, 0xf0}) }},
		attack{"rpc frame with a gob message of 8 GiB", func() result {
			// gob's count for 8 GiB: 0xf8 (8 bytes follow) then big-endian 1<<33
			msg := append([]byte{0xf8}, binary.BigEndian.AppendUint64(nil, 1<<33)...)
			f := append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
			return sendRaw(coord, append(f, make([]byte, 32)...))
		}},
		attack{"rpc junk after the handshake", func() result { return sendRaw(coord, junk(64<<10)) }},
		attack{"rpc without the handshake's nonce", func() result { return oldHandshake(coord) }},
	)
	return append(as, httpAttacks(coord)...)
}

// oldHandshake tries the CONNECT without a nonce.
func oldHandshake(addr string) result {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return unreached(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(conn, "CONNECT "+protocol.PathRPC+" HTTP/1.0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "CONNECT"})
	if err != nil {
		return refused("%v", err)
	}
	if resp.StatusCode == 200 {
		return accepted("CONNECT without a nonce was accepted")
	}
	return refused("%s", resp.Status)
}

func junk(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
