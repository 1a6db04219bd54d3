// The HTTP attacks on the coordinator and the workers' run-file servers:
// forged signatures, guessed attempts, fake uploads, huge headers, junk
// and half-open connections.

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
)

var client = &http.Client{Timeout: 5 * time.Second}

// request sends one request; 200 (or any 2xx) means the attack worked.
func request(method, url string, body []byte, header map[string]string) result {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return refused("%v", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	var ne net.Error
	if errors.As(err, &ne) && !ne.Timeout() || errors.Is(err, syscall.ECONNREFUSED) {
		return unreached(err)
	}
	if err != nil {
		return refused("%v", err)
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return accepted("%s %s answered %s with %d bytes", method, url, resp.Status, n)
	}
	return refused("%s", resp.Status)
}

// forged are signature headers a peer without the secret can make up.
func forged() map[string]string {
	return map[string]string{
		auth.HeaderTime:  strconv.FormatInt(time.Now().UnixMilli(), 10),
		auth.HeaderNonce: hex.EncodeToString(auth.Nonce()),
		auth.HeaderSig:   hex.EncodeToString(junk(32)),
	}
}

// runFile is a well-formed run file holding one record.
func runFile(key, value string) []byte {
	b := []byte("MRR1")
	b = binary.AppendUvarint(b, uint64(len(key))+1)
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, value...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 1)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// attemptQuery is the query of a URL naming a guessed attempt, for the
// attack's name.
func attemptQuery(u string) string {
	_, q, _ := strings.Cut(u, "?")
	return "?" + q
}

func httpAttacks(coord string) []attack {
	base := "http://" + coord
	var as []attack
	for _, id := range []string{"w1", "w2", "w3"} {
		for task := 0; task < 3; task++ {
			u := wire.SplitURL(coord, protocol.Attempt{WorkerID: id, Kind: protocol.MapTask, Task: task, N: 1})
			q := attemptQuery(u)
			as = append(as,
				attack{"read split " + q, func() result { return request("GET", u, nil, nil) }},
				attack{"forged read split " + q, func() result { return request("GET", u, nil, forged()) }},
			)
		}
		u := wire.ReduceURL(coord, protocol.Attempt{WorkerID: id, Kind: protocol.ReduceTask, N: 1})
		q := attemptQuery(u)
		as = append(as,
			attack{"empty upload " + q, func() result {
				return request("POST", u, nil, map[string]string{protocol.HeaderCRC: "0"})
			}},
			attack{"forged upload " + q, func() result {
				body := runFile("pwned", "1")
				h := forged()
				h[protocol.HeaderCRC] = strconv.FormatUint(uint64(crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli))), 10)
				return request("POST", u, body, h)
			}},
			attack{"garbage upload " + q, func() result {
				return request("POST", u, junk(4096), map[string]string{protocol.HeaderCRC: "12345"})
			}},
		)
	}
	as = append(as,
		attack{"read status", func() result { return request("GET", base+protocol.PathStatus, nil, nil) }},
		attack{"read status with a made-up token", func() result {
			return request("GET", base+protocol.PathStatus+"?token=00000000000000000000000000000000", nil, nil)
		}},
		attack{"huge header to the coordinator", func() result { return hugeHeader(coord) }},
		attack{"junk bytes to the coordinator", func() result { return junkTo(coord) }},
	)
	return as
}

func workerAttacks(w string) []attack {
	base := "http://" + w
	// Maps 0, 1 and 2, attempt 1.
	body := protocol.EncodeRunsRequest([]protocol.MapAttempt{{Map: 0, Attempt: 1}, {Map: 1, Attempt: 1}, {Map: 2, Attempt: 1}})
	runs := protocol.RunsURL(w, []int{0})
	return []attack{
		{"fetch runs from " + w, func() result { return request("POST", runs, body, nil) }},
		{"forged fetch of runs from " + w, func() result { return request("POST", runs, body, forged()) }},
		{"fetch a path from " + w, func() result { return request("GET", base+"/..%2f..%2fetc%2fpasswd", nil, forged()) }},
		{"huge header to " + w, func() result { return hugeHeader(w) }},
		{"junk bytes to " + w, func() result { return junkTo(w) }},
	}
}

// hugeHeader sends a request with a 1 MiB header.
func hugeHeader(addr string) result {
	return request("GET", "http://"+addr+protocol.PathStatus, nil, map[string]string{"X-Big": strings.Repeat("a", 1<<20)})
}

// junkTo writes random bytes and reports whether the server kept reading
// and answered with anything but an error.
func junkTo(addr string) result {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return unreached(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	conn.Write(junk(64 << 10))
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(conn, buf, 12)
	if n >= 12 && strings.HasPrefix(string(buf[:n]), "HTTP/1.1 2") {
		return accepted("junk answered %q", buf[:n])
	}
	return refused("%q", firstLine(buf[:n]))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\r\n")
	return s
}

// halfOpen opens connections to every address, sends half a request on
// each, holds them, then checks that every server still answers.
func halfOpen(addrs []string, hold time.Duration) result {
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, a := range addrs {
		for range 150 {
			wg.Go(func() {
				c, err := net.DialTimeout("tcp", a, 2*time.Second)
				if err != nil {
					return
				}
				io.WriteString(c, "GET /spl")
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(hold)
	for _, a := range addrs { // while they are held
		resp, err := client.Get("http://" + a + "/status")
		if err != nil {
			return accepted("with %d connections held, %s no longer answers: %v", len(conns), a, err)
		}
		resp.Body.Close()
	}
	return refused("held %d connections for %s; every server still answered", len(conns), hold)
}
