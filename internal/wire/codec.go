// The RPC codec: gob messages in length-prefixed frames, bounded and MAC-checked before decoding.

package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"time"

	"mapreduce/internal/auth"
)

// RPC messages travel in frames:
//
//	length   uint32 big-endian, 1 to the receiver's limit
//	payload  gob: one request (header, body) or one response (header, body)
//	mac      HMAC-SHA256(frame key, direction, sequence number, payload);
//	         present only with a job secret
//
// The receiver reads a whole frame, bounded by its limit, and checks its
// MAC before gob sees a byte of it; a request or response must fit in
// one frame. Sequence numbers make a dropped, reordered or replayed frame
// fail the MAC.
//
// The coordinator reads a connection's first frame before it allocates
// anything for it (RPCConn.Authenticate): at most MaxFirstFrame bytes,
// read unbuffered, whole within FirstFrameTimeout of the handshake. With
// a secret, its MAC under the connection's frame key is the worker's proof
// that it holds the secret, over both nonces. Only then does the
// connection get its buffers and the limit MaxRequest. From then on each
// frame must arrive whole within FrameTimeout (plus 1 s per 128 KiB) of
// its length, so a trickled frame is dropped, and the next must start
// within the server's idle limit.

// Limits on one frame, and how long it may take.
const (
	MaxRequest    = 1 << 20  // a worker's request, as the coordinator accepts it
	MaxReply      = 64 << 20 // a coordinator's reply (a reduce assignment lists every map)
	MaxFirstFrame = 8 << 10  // a connection's first request (Register or Resume), before it authenticated
	macSize       = 32

	// FirstFrameTimeout is how long after the handshake the first frame
	// must have arrived whole.
	FirstFrameTimeout = 5 * time.Second
	// FrameTimeout is how long a frame may take once its length arrived,
	// plus 1 s per 128 KiB.
	FrameTimeout = 10 * time.Second
)

// ErrFrame is a frame that is too large, truncated, late, or fails its MAC.
var ErrFrame = errors.New("rpc frame refused")

// frameTimeout is how long a frame of n bytes may take after its length.
func frameTimeout(base time.Duration, n int) time.Duration {
	return base + time.Duration(n>>17)*time.Second
}

// readFrame reads one frame of at most limit bytes from r, unbuffered, and
// checks its MAC under key (none if nil); it returns the payload.
func readFrame(r io.Reader, limit int, key []byte, dir byte, seq uint64) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrame, n, limit)
	}
	size := n
	if key != nil {
		size += macSize
	}
	p := make([]byte, size)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("%w: truncated: %v", ErrFrame, err)
	}
	if key != nil && !auth.Equal(p[n:], frameMAC(key, dir, seq, p[:n])) {
		return nil, fmt.Errorf("%w: bad MAC", ErrFrame)
	}
	return p[:n], nil
}

func frameMAC(key []byte, dir byte, seq uint64, payload []byte) []byte {
	var h [9]byte
	h[0] = dir
	binary.BigEndian.PutUint64(h[1:], seq)
	return auth.Sum(key, h[:], payload)
}

// frames reads and writes the frames of one connection.
type frames struct {
	c             *RPCConn
	r             *bufio.Reader // nil on the server until the first frame verified
	w             *bufio.Writer // made at the first send
	maxIn         int
	inDir, out    byte // direction bytes: 'C' client to server, 'S' server to client
	inSeq, outSeq uint64
	writeTimeout  time.Duration
	opt           ServerOptions // the server's deadlines; zero on the client

	payload []byte // the current incoming frame
	pos     int
	buf     bytes.Buffer // the outgoing frame being encoded
	enc     *gob.Encoder
	dec     *gob.Decoder
}

func newFrames(c *RPCConn, maxIn int, inDir, outDir byte, writeTimeout time.Duration) *frames {
	f := &frames{c: c, maxIn: maxIn, inDir: inDir, out: outDir, writeTimeout: writeTimeout}
	f.enc = gob.NewEncoder(&f.buf)
	f.dec = gob.NewDecoder(f)
	return f
}

// next reads the next frame and verifies it.
func (f *frames) next() error {
	if f.r == nil {
		return f.first()
	}
	server := f.opt.Frame > 0
	if server {
		f.c.SetReadDeadline(after(f.opt.Idle))
	}
	var hdr [4]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > f.maxIn {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrame, n, f.maxIn)
	}
	if server {
		f.c.SetReadDeadline(time.Now().Add(frameTimeout(f.opt.Frame, n)))
	}
	size := n
	if f.c.frameKey != nil {
		size += macSize
	}
	if cap(f.payload) < size || cap(f.payload) > 1<<20 && size < cap(f.payload)/4 {
		f.payload = make([]byte, size)
	}
	f.payload = f.payload[:size]
	if _, err := io.ReadFull(f.r, f.payload); err != nil {
		return fmt.Errorf("%w: truncated: %v", ErrFrame, err)
	}
	if f.c.frameKey != nil {
		mac := f.payload[n:]
		f.payload = f.payload[:n]
		if !auth.Equal(mac, frameMAC(f.c.frameKey, f.inDir, f.inSeq, f.payload)) {
			return fmt.Errorf("%w: bad MAC", ErrFrame)
		}
	}
	f.inSeq++
	f.pos = 0
	return nil
}

// first takes the server's first frame, read and verified by
// Authenticate (now, if the caller did not), and only then gives the
// connection its read buffer.
func (f *frames) first() error {
	if err := f.c.Authenticate(f.opt.FirstFrame); err != nil {
		return err
	}
	f.payload, f.c.first = f.c.first, nil
	f.inSeq, f.pos = 1, 0
	f.r = bufio.NewReaderSize(f.c, 32<<10)
	if f.opt.OnAuth != nil {
		f.opt.OnAuth()
	}
	return nil
}

// after is d from now, or no deadline if d is 0.
func after(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// Read hands gob the current frame's bytes; a message never spans frames.
func (f *frames) Read(p []byte) (int, error) {
	if f.pos >= len(f.payload) {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, f.payload[f.pos:])
	f.pos += n
	return n, nil
}

// ReadByte makes frames an io.ByteReader, so gob reads it unbuffered.
func (f *frames) ReadByte() (byte, error) {
	if f.pos >= len(f.payload) {
		return 0, io.ErrUnexpectedEOF
	}
	f.pos++
	return f.payload[f.pos-1], nil
}

// decodeLast decodes the last value of the current frame.
func (f *frames) decodeLast(v any) error {
	if err := f.dec.Decode(v); err != nil {
		return err
	}
	if f.pos != len(f.payload) {
		return fmt.Errorf("%w: %d trailing bytes", ErrFrame, len(f.payload)-f.pos)
	}
	return nil
}

// send encodes header and body into one frame and writes it.
func (f *frames) send(header, body any) error {
	f.buf.Reset()
	if err := f.enc.Encode(header); err != nil {
		return err
	}
	if err := f.enc.Encode(body); err != nil {
		return err
	}
	payload := f.buf.Bytes()
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)))
	if f.writeTimeout > 0 {
		f.c.SetWriteDeadline(time.Now().Add(f.writeTimeout))
	}
	if f.w == nil {
		f.w = bufio.NewWriterSize(f.c, 32<<10)
	}
	f.w.Write(hdr[:])
	f.w.Write(payload)
	if f.c.frameKey != nil {
		f.w.Write(frameMAC(f.c.frameKey, f.out, f.outSeq, payload))
	}
	f.outSeq++
	return f.w.Flush()
}

// ServerOptions bound one server connection. Zero fields take the
// defaults.
type ServerOptions struct {
	MaxInFlight  int           // requests being handled at once (16)
	WriteTimeout time.Duration // writing one response (10 s)
	// Idle is, once the connection authenticated, the longest wait for
	// the next request; 0 waits for ever.
	Idle time.Duration
	// FirstFrame is how long after the handshake the first frame must
	// have arrived whole (FirstFrameTimeout).
	FirstFrame time.Duration
	// Frame is how long any frame may take once its length arrived, plus
	// 1 s per 128 KiB (FrameTimeout).
	Frame time.Duration
	// OnAuth, if set, is called once, when the first frame verified (at
	// the first request, if Authenticate verified it before): the place
	// to mark the connection authenticated (netx.MarkAuthenticated).
	OnAuth func()
}

func (o ServerOptions) withDefaults() ServerOptions {
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 16
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.FirstFrame <= 0 {
		o.FirstFrame = FirstFrameTimeout
	}
	if o.Frame <= 0 {
		o.Frame = FrameTimeout
	}
	return o
}

// NewServerCodec serves net/rpc on a handshaken connection: requests of
// at most MaxRequest bytes (the first at most MaxFirstFrame), at most
// maxInFlight of them being handled at once, each response written within
// writeTimeout. It is NewServerCodecWith with the other options' defaults.
func NewServerCodec(c *RPCConn, maxInFlight int, writeTimeout time.Duration) rpc.ServerCodec {
	return NewServerCodecWith(c, ServerOptions{MaxInFlight: maxInFlight, WriteTimeout: writeTimeout})
}

// NewServerCodecWith serves net/rpc on a handshaken connection under o:
// the first request at most MaxFirstFrame bytes, read before anything
// else is allocated (if Authenticate did not read it already), the others
// at most MaxRequest; every frame whole within its deadline. The codec
// sets the connection's read deadlines itself: do not wrap it in a
// connection that sets its own on every read.
func NewServerCodecWith(c *RPCConn, o ServerOptions) rpc.ServerCodec {
	o = o.withDefaults()
	f := newFrames(c, MaxRequest, 'C', 'S', o.WriteTimeout)
	f.opt = o
	return &serverCodec{f: f, slots: make(chan struct{}, o.MaxInFlight)}
}

type serverCodec struct {
	f     *frames
	slots chan struct{} // one per request read and not yet answered
}

func (s *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	s.slots <- struct{}{} // waits while maxInFlight requests are being handled
	if err := s.f.next(); err != nil {
		return err
	}
	return s.f.dec.Decode(r)
}

// ReadRequestBody decodes the body; a nil body (an unknown method) is
// read and dropped.
func (s *serverCodec) ReadRequestBody(body any) error { return s.f.decodeLast(body) }

func (s *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	defer func() { <-s.slots }()
	return s.f.send(r, body)
}

func (s *serverCodec) Close() error { return s.f.c.Close() }

// NewClientCodec is the worker's side of the frames.
func NewClientCodec(c *RPCConn) rpc.ClientCodec {
	f := newFrames(c, MaxReply, 'S', 'C', 0)
	f.r = bufio.NewReaderSize(c, 32<<10)
	return &clientCodec{f: f}
}

type clientCodec struct{ f *frames }

func (c *clientCodec) WriteRequest(r *rpc.Request, body any) error { return c.f.send(r, body) }

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.f.next(); err != nil {
		return err
	}
	return c.f.dec.Decode(r)
}

func (c *clientCodec) ReadResponseBody(body any) error { return c.f.decodeLast(body) }

func (c *clientCodec) Close() error { return c.f.c.Close() }
