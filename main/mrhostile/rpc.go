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
)

// The RPC side: CONNECT /_mr_rpc_ with a nonce, then length-prefixed gob
// frames. Without the secret the peer cannot compute the frames' MACs; it
// sends junk in their place and watches whether anything is answered.

// Field names are what gob matches: these mirror the engine's wire types.
type registerArgs struct {
	App    string
	Addr   string
	Public []byte
}

type workerArgs struct{ WorkerID string }

type attemptRef struct {
	WorkerID string
	Kind     uint8
	Task     int
	N        int
}

type reportMapArgs struct {
	Attempt attemptRef
	Runs    []struct {
		Size int64
		CRC  uint32
	}
	Read int64
}

type reportFailureArgs struct {
	Attempt attemptRef
	Err     string
}

// handshake connects and performs the CONNECT exchange, ignoring the
// coordinator's proof of the secret.
func handshake(addr string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "CONNECT /_mr_rpc_ HTTP/1.0\r\nX-Mr-Nonce: %s\r\n\r\n", hex.EncodeToString(nonce))
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
			return sendRaw(coord, frame("Coordinator.Register", &registerArgs{App: app, Addr: "10.0.0.66:1", Public: make([]byte, 32)}))
		}})
	}
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("w%d", i)
		as = append(as,
			attack{"GetTask as " + id, func() result { return sendRaw(coord, frame("Coordinator.GetTask", &workerArgs{id})) }},
			attack{"Heartbeat as " + id, func() result { return sendRaw(coord, frame("Coordinator.Heartbeat", &workerArgs{id})) }},
			attack{"ReportMap as " + id, func() result {
				args := &reportMapArgs{Attempt: attemptRef{WorkerID: id, Kind: 1, Task: i - 1, N: 1}}
				args.Runs = make([]struct {
					Size int64
					CRC  uint32
				}, 10)
				return sendRaw(coord, frame("Coordinator.ReportMap", args))
			}},
			attack{"ReportFailure as " + id, func() result {
				return sendRaw(coord, frame("Coordinator.ReportFailure", &reportFailureArgs{Attempt: attemptRef{id, 2, 0, 1}, Err: "forged"}))
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
	io.WriteString(conn, "CONNECT /_mr_rpc_ HTTP/1.0\r\n\r\n")
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
