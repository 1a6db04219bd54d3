package protocol

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

// Limits on one frame.
const (
	MaxRequest = 1 << 20  // a worker's request, as the coordinator accepts it
	MaxReply   = 64 << 20 // a coordinator's reply (a reduce assignment lists every map)
	macSize    = 32
)

// ErrFrame is a frame that is too large, truncated, or fails its MAC.
var ErrFrame = errors.New("rpc frame refused")

// frames reads and writes the frames of one connection.
type frames struct {
	c             *RPCConn
	r             *bufio.Reader
	w             *bufio.Writer
	maxIn         int
	inDir, out    byte // direction bytes: 'C' client to server, 'S' server to client
	inSeq, outSeq uint64
	writeTimeout  time.Duration

	payload []byte // the current incoming frame
	pos     int
	buf     bytes.Buffer // the outgoing frame being encoded
	enc     *gob.Encoder
	dec     *gob.Decoder
}

func newFrames(c *RPCConn, maxIn int, inDir, outDir byte, writeTimeout time.Duration) *frames {
	f := &frames{c: c, r: bufio.NewReaderSize(c, 32<<10), w: bufio.NewWriterSize(c, 32<<10),
		maxIn: maxIn, inDir: inDir, out: outDir, writeTimeout: writeTimeout}
	f.enc = gob.NewEncoder(&f.buf)
	f.dec = gob.NewDecoder(f)
	return f
}

// next reads the next frame and verifies it.
func (f *frames) next() error {
	var hdr [4]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > f.maxIn {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrame, n, f.maxIn)
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
		if !auth.Equal(mac, f.mac(f.inDir, f.inSeq, f.payload)) {
			return fmt.Errorf("%w: bad MAC", ErrFrame)
		}
	}
	f.inSeq++
	f.pos = 0
	return nil
}

func (f *frames) mac(dir byte, seq uint64, payload []byte) []byte {
	var h [9]byte
	h[0] = dir
	binary.BigEndian.PutUint64(h[1:], seq)
	return auth.Sum(f.c.frameKey, h[:], payload)
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
	f.w.Write(hdr[:])
	f.w.Write(payload)
	if f.c.frameKey != nil {
		f.w.Write(f.mac(f.out, f.outSeq, payload))
	}
	f.outSeq++
	return f.w.Flush()
}

// NewServerCodec serves net/rpc on a handshaken connection: requests of
// at most MaxRequest bytes, at most maxInFlight of them being handled at
// once, each response written within writeTimeout.
func NewServerCodec(c *RPCConn, maxInFlight int, writeTimeout time.Duration) rpc.ServerCodec {
	return &serverCodec{f: newFrames(c, MaxRequest, 'C', 'S', writeTimeout), slots: make(chan struct{}, maxInFlight)}
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
	return &clientCodec{f: newFrames(c, MaxReply, 'S', 'C', 0)}
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
