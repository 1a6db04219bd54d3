// Tests that frames are bounded in size and time: slow or oversized peers are closed.

package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// readReply reads one frame (no MAC) from the server.
func readReply(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(hdr))); err != nil {
		t.Fatalf("truncated reply: %v", err)
	}
}

// closedWithin reports whether the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	for {
		_, err := c.Read(make([]byte, 512))
		if err != nil {
			return !errors.Is(err, os.ErrDeadlineExceeded)
		}
	}
}

// A connection that sends too little, too late, is closed by deadlines:
// before its first frame, inside any frame, and idle between frames.
func TestFrameDeadlines(t *testing.T) {
	const short = 300 * time.Millisecond
	first := func(t *testing.T, c net.Conn) {
		c.Write(encodedRequest(t))
		readReply(t, c)
	}
	tests := []struct {
		name string
		o    ServerOptions
		send func(t *testing.T, c net.Conn)
	}{
		{"no first frame", ServerOptions{FirstFrame: short}, func(*testing.T, net.Conn) {}},
		{"first frame trickled", ServerOptions{FirstFrame: short}, func(t *testing.T, c net.Conn) {
			f := encodedRequest(t)
			c.Write(f[:len(f)-3])
		}},
		{"a later frame trickled", ServerOptions{Frame: short}, func(t *testing.T, c net.Conn) {
			first(t, c)
			c.Write(binary.BigEndian.AppendUint32(nil, 1000))
			c.Write(make([]byte, 10))
		}},
		{"idle after authenticating", ServerOptions{Idle: short}, func(t *testing.T, c net.Conn) { first(t, c) }},
		{"too large after authenticating", ServerOptions{}, func(t *testing.T, c net.Conn) {
			first(t, c)
			c.Write(binary.BigEndian.AppendUint32(nil, MaxRequest+1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := serverWith(t, nil, tt.o, nil)
			c := rawHandshake(t, addr)
			defer c.Close()
			tt.send(t, c)
			if !closedWithin(c, 3*time.Second) {
				t.Fatal("the connection is still open")
			}
		})
	}
}

// Authenticate reads and verifies the first frame before the server
// builds anything for the connection; OnAuth hears of it once.
func TestAuthenticateFirst(t *testing.T) {
	key := []byte("secret key")
	var onAuth atomic.Int64
	authed := make(chan error, 1)
	addr, calls := serverWith(t, key, ServerOptions{OnAuth: func() { onAuth.Add(1) }}, authed)

	conn, err := DialRPC(addr, time.Second, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := call(conn, "wc"); err != nil || got != "echo:wc" {
		t.Fatalf("Say = %q, %v", got, err)
	}
	if err := <-authed; err != nil || onAuth.Load() != 1 {
		t.Fatalf("Authenticate = %v, OnAuth called %d times", err, onAuth.Load())
	}

	for name, frame := range map[string][]byte{
		"bad MAC":   append(encodedRequest(t), make([]byte, macSize)...),
		"too large": binary.BigEndian.AppendUint32(nil, MaxFirstFrame+1),
	} {
		c := rawHandshake(t, addr)
		c.Write(frame)
		if err := <-authed; !errors.Is(err, ErrFrame) {
			t.Errorf("%s: Authenticate = %v", name, err)
		}
		c.Close()
	}
	if calls.Load() != 1 || onAuth.Load() != 1 {
		t.Fatalf("%d calls, OnAuth %d times", calls.Load(), onAuth.Load())
	}
}

func FuzzReadFrame(f *testing.F) {
	key := []byte("k")
	frame := func(payload []byte, key []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
		b = append(b, payload...)
		if key != nil {
			b = append(b, frameMAC(key, 'C', 0, payload)...)
		}
		return b
	}
	f.Add(frame([]byte("hello"), key), true)
	f.Add(frame([]byte("hello"), nil), false)
	f.Add(frame(bytes.Repeat([]byte{7}, 64), key), true)
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<31), true)
	f.Add([]byte{0, 0, 0, 0}, false)
	f.Add([]byte{0, 0, 0, 9, 1}, false)
	f.Fuzz(func(t *testing.T, data []byte, withKey bool) {
		k := key
		if !withKey {
			k = nil
		}
		p, err := readFrame(bytes.NewReader(data), 64, k, 'C', 0)
		if err != nil {
			return
		}
		if len(p) < 1 || len(p) > 64 {
			t.Fatalf("accepted %d bytes under a limit of 64", len(p))
		}
		if !bytes.Equal(frame(p, k), data[:len(frame(p, k))]) {
			t.Fatal("accepted a frame that does not encode its payload")
		}
	})
}
