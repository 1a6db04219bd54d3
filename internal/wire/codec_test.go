// Tests of the RPC codec over real loopback connections: frames, keys, limits.

package wire

import (
	"encoding/binary"
	"errors"
	"io"
	"mapreduce/internal/protocol"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Echo is a service for the tests; calls counts the calls that reached it.
type Echo struct{ calls *atomic.Int64 }

func (e *Echo) Say(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	e.calls.Add(1)
	reply.WorkerID = "echo:" + args.App
	return nil
}

// server serves Echo behind the handshake with rpcKey; it returns its
// address and the count of calls that reached the service.
func server(t *testing.T, rpcKey []byte) (string, *atomic.Int64) {
	return serverWith(t, rpcKey, ServerOptions{MaxInFlight: 4, WriteTimeout: time.Second}, nil)
}

// serverWith is server with options; if authed is not nil, the server
// calls Authenticate before it builds anything for the connection, and
// sends the outcome there.
func serverWith(t *testing.T, rpcKey []byte, o ServerOptions, authed chan<- error) (string, *atomic.Int64) {
	calls := new(atomic.Int64)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := AcceptRPC(w, r, rpcKey)
		if err != nil {
			return
		}
		if authed != nil {
			err := conn.Authenticate(o.FirstFrame)
			authed <- err
			if err != nil {
				conn.Close()
				return
			}
		}
		srv := rpc.NewServer()
		srv.Register(&Echo{calls})
		srv.ServeCodec(NewServerCodecWith(conn, o))
	}))
	t.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://"), calls
}

func call(conn *RPCConn, app string) (string, error) {
	cl := rpc.NewClientWithCodec(NewClientCodec(conn))
	defer cl.Close()
	var reply protocol.RegisterReply
	err := cl.Call("Echo.Say", &protocol.RegisterArgs{App: app}, &reply)
	return reply.WorkerID, err
}

// A connection's first request is small; once it verified, requests up
// to MaxRequest pass.
func TestRPCOverFrames(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	for _, key := range [][]byte{nil, []byte("0123456789abcdef0123456789abcdef")} {
		addr, calls := server(t, key)
		conn, err := DialRPC(addr, time.Second, key)
		if err != nil {
			t.Fatal(err)
		}
		cl := rpc.NewClientWithCodec(NewClientCodec(conn))
		for _, app := range []string{"wc", big} {
			var reply protocol.RegisterReply
			if err := cl.Call("Echo.Say", &protocol.RegisterArgs{App: app}, &reply); err != nil || reply.WorkerID != "echo:"+app {
				t.Fatalf("key %v: Say = %.20q, %v", key != nil, reply.WorkerID, err)
			}
		}
		cl.Close()
		conn, _ = DialRPC(addr, time.Second, key)
		if _, err := call(conn, big); err == nil {
			t.Fatalf("key %v: a first request of %d bytes was accepted", key != nil, len(big))
		}
		if calls.Load() != 2 {
			t.Fatalf("%d calls reached the service", calls.Load())
		}
	}
}

func TestSecretsMustMatch(t *testing.T) {
	k1, k2 := []byte("one"), []byte("two")
	tests := []struct {
		server, client []byte
		want           error
	}{
		{k1, nil, protocol.ErrNeedSecret},
		{nil, k1, protocol.ErrNoSecret},
		{k1, k2, protocol.ErrBadSecret},
	}
	for _, tt := range tests {
		addr, _ := server(t, tt.server)
		if _, err := DialRPC(addr, time.Second, tt.client); !errors.Is(err, tt.want) {
			t.Errorf("server %q client %q: err = %v, want %v", tt.server, tt.client, err, tt.want)
		}
	}
}

// rawHandshake connects as a client that ignores the secret.
func rawHandshake(t *testing.T, addr string) net.Conn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "CONNECT "+protocol.PathRPC+" HTTP/1.0\r\n"+headerNonce+": "+strings.Repeat("ab", 16)+"\r\n\r\n")
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := conn.Read(buf); err != nil || !strings.Contains(string(buf[:n]), rpcConnected) {
		t.Fatalf("handshake: %q, %v", buf[:n], err)
	}
	return conn
}

// A frame without a valid MAC, or larger than the limit, is refused: the
// connection is closed and the service never called.
func TestFramesRefusedBeforeDecoding(t *testing.T) {
	key := []byte("secret key")
	tests := []struct {
		name  string
		key   []byte
		frame func() []byte
	}{
		{"bad MAC", key, func() []byte {
			// a real request, encoded by a client that has no key
			return append(encodedRequest(t), make([]byte, macSize)...)
		}},
		{"oversized", nil, func() []byte {
			return binary.BigEndian.AppendUint32(nil, MaxRequest+1)
		}},
		{"empty", nil, func() []byte { return make([]byte, 4) }},
		{"garbage", nil, func() []byte { return append(binary.BigEndian.AppendUint32(nil, 5), "junk!"...) }},
	}
	for _, tt := range tests {
		addr, calls := server(t, tt.key)
		conn := rawHandshake(t, addr)
		conn.Write(tt.frame())
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := conn.Read(make([]byte, 1))
		conn.Close()
		if err == nil || n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: connection not closed by the server: read %d bytes, %v", tt.name, n, err)
		}
		if calls.Load() != 0 {
			t.Errorf("%s: the service was called", tt.name)
		}
	}
}

// encodedRequest is the frame of one Echo.Say request, without a MAC.
func encodedRequest(t *testing.T) []byte {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		cl := rpc.NewClientWithCodec(NewClientCodec(&RPCConn{Conn: a}))
		cl.Go("Echo.Say", &protocol.RegisterArgs{App: "x"}, &protocol.RegisterReply{}, nil)
	}()
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(b, hdr); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, binary.BigEndian.Uint32(hdr))
	if _, err := io.ReadFull(b, payload); err != nil {
		t.Fatal(err)
	}
	return append(hdr, payload...)
}
