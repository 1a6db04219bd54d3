// Reader, the decoder of one run that verifies it as it goes: bounded
// lengths, shortest varints, count and CRC-32C in the trailer.

package runfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
)

// Reader decodes and verifies a run stream. Not safe for concurrent use.
//
// It buffers the stream itself rather than through bufio so that the CRC is
// computed over whole consumed stretches of the buffer instead of per field:
// buf[hashed:r] has been consumed but not yet hashed.
type Reader struct {
	src    io.Reader
	srcErr error // sticky error of src, io.EOF at its end
	size   int64 // total run length as told by the caller, or -1

	buf    []byte // allocated on the first Next
	r, w   int    // buf[r:w] is buffered and unread
	hashed int    // buf[:hashed] is in crc
	base   int64  // stream offset of buf[0]
	crc    uint32

	// key and val are the current record's, in buf where they were read
	// whole from it, else in keyBuf and valBuf. Before buf's bytes move,
	// compact copies out the key, for the next readKey to compare with,
	// and the value of the record being read (a text run's value is
	// followed by its newline, which may need a refill).
	key, val       []byte
	keyBuf, valBuf []byte
	keyInBuf       bool
	valInBuf       bool
	sameKey        bool // key is the previous record's
	count          int64
	started        bool // header read
	ended          bool // end marker read
	done           bool // trailer verified
	err            error

	lens *lensReader // a text run's lengths (textrun.go); nil for a run
}

// NewReader returns a reader of a run of total length size bytes, as the
// caller knows from stat or Content-Length. Every length prefix is checked
// against the bytes remaining and against maxRecord, the writer's cap, so
// a corrupt or hostile length never makes it allocate more than either.
// If size < 0 the size is unknown; memory then grows only with bytes
// actually read.
func NewReader(r io.Reader, size int64) *Reader {
	if size < 0 {
		size = -1
	}
	return &Reader{src: r, size: size}
}

// Next advances to the next record. It returns false at the verified end of
// the run or on error; Err tells which.
func (r *Reader) Next() bool {
	if r.done || r.err != nil {
		return false
	}
	if err := r.next(); err != nil {
		r.err = err
		return false
	}
	return !r.done
}

// Key returns the current key. It is valid until the next call to Next.
func (r *Reader) Key() []byte { return r.key }

// SameKey reports whether the current key equals the previous record's.
func (r *Reader) SameKey() bool { return r.sameKey }

// Value returns the current value. It is valid until the next call to Next.
func (r *Reader) Value() []byte { return r.val }

// Err returns nil while records are being read and after a clean, verified
// end; otherwise an error wrapping ErrCorrupt (and the underlying read
// error, if any).
func (r *Reader) Err() error { return r.err }

// records returns the number of records read so far.
func (r *Reader) records() int64 { return r.count }

// next reads one record, or the end marker and trailer.
func (r *Reader) next() error {
	r.valInBuf = false // the last record's value is no longer needed
	if r.lens != nil {
		return r.nextLine()
	}
	if !r.started {
		if err := r.readHeader(); err != nil {
			return err
		}
	}
	if readInPlace && r.nextBuffered() {
		return nil
	}
	klen, err := r.uvarint("key length")
	if err != nil {
		return err
	}
	if klen == 0 {
		r.ended = true
		return r.readTrailer()
	}
	if err := r.readKey(klen - 1); err != nil {
		return err
	}
	vlen, err := r.uvarint("value length")
	if err != nil {
		return err
	}
	if err = r.readValue(vlen); err != nil {
		return err
	}
	r.count++
	return nil
}

// readInPlace turns on nextBuffered and lineBuffered: off, the tests read
// every record field by field, and compare.
var readInPlace = true

// nextBuffered reads the next record if it lies whole in the buffer, its
// lengths one-byte varints (keys under 127 bytes, values under 128), and
// within the run's size: the common record, read without a call per
// field. It reports false, having read nothing, for any other; next then
// reads it field by field, with every check and error of its own.
func (r *Reader) nextBuffered() bool {
	b := r.buf[r.r:r.w]
	if len(b) < 2 || b[0] >= 0x80 || b[0] == 0 { // the end marker goes the long way
		return false
	}
	klen := int(b[0]) - 1
	if 2+klen > len(b) || b[1+klen] >= 0x80 {
		return false
	}
	end := 2 + klen + int(b[1+klen])
	if end > len(b) || r.size >= 0 && r.offset()+int64(end) > r.size-trailerLen {
		return false
	}
	r.r += end
	r.takeInPlace(b[1:1+klen:1+klen], b[2+klen:end:end])
	return true
}

// takeInPlace makes key and val, in the buffer, the record read.
func (r *Reader) takeInPlace(key, val []byte) {
	r.sameKey = r.count > 0 && bytes.Equal(key, r.key)
	r.key, r.keyInBuf = key, true
	r.val, r.valInBuf = val, true
	r.count++
}

// readHeader allocates the buffer and checks the magic.
func (r *Reader) readHeader() error {
	if r.size >= 0 && r.size < minLen {
		return r.corrupt("size %d is below the minimum %d", r.size, minLen)
	}
	n := bufSize
	if r.size >= 0 && r.size < int64(n) {
		n = max(int(r.size)+1, 32) // +1 leaves room to detect trailing bytes
	}
	r.buf = make([]byte, n)
	if err := r.fill(len(magic)); err != nil {
		return r.readErr("magic", err)
	}
	if string(r.buf[r.r:r.r+len(magic)]) != magic {
		return r.corrupt("bad magic %q", r.buf[r.r:r.r+len(magic)])
	}
	r.r += len(magic)
	r.started = true
	return nil
}

// readTrailer reads the count and CRC after the end marker, verifies them,
// and checks that the stream ends there.
func (r *Reader) readTrailer() error {
	if err := r.fill(12); err != nil {
		return r.readErr("trailer", err)
	}
	count := binary.LittleEndian.Uint64(r.buf[r.r:])
	r.r += 8
	r.hash()
	stored := binary.LittleEndian.Uint32(r.buf[r.r:])
	r.r += 4
	r.hashed = r.r // the CRC field is not part of its own checksum
	switch {
	case stored != r.crc:
		return r.corrupt("crc %08x, computed %08x", stored, r.crc)
	case count != uint64(r.count):
		return r.corrupt("count %d, read %d records", count, r.count)
	}
	return r.checkEnd()
}

// checkEnd verifies that nothing follows the trailer and that the run had
// the size the caller announced.
func (r *Reader) checkEnd() error {
	switch err := r.fill(1); {
	case err == nil:
		return r.corrupt("trailing bytes after offset %d", r.offset())
	case err != io.ErrUnexpectedEOF:
		return r.readErr("end of stream", err)
	}
	if r.size >= 0 && r.offset() != r.size {
		return r.corrupt("run is %d bytes, expected %d", r.offset(), r.size)
	}
	r.done = true
	return nil
}

// uvarint reads a shortest-form uvarint.
func (r *Reader) uvarint(what string) (uint64, error) {
	if r.r < r.w && r.buf[r.r] < 0x80 { // fast path: one byte
		v := r.buf[r.r]
		r.r++
		return uint64(v), nil
	}
	if err := r.fill(binary.MaxVarintLen64); err != nil && err != io.ErrUnexpectedEOF {
		return 0, r.readErr(what, err)
	}
	v, n := binary.Uvarint(r.buf[r.r:r.w])
	switch {
	case n == 0:
		return 0, r.readErr(what, io.ErrUnexpectedEOF)
	case n < 0:
		return 0, r.corrupt("%s overflows 64 bits", what)
	case n > 1 && r.buf[r.r+n-1] == 0:
		return 0, r.corrupt("%s is not in shortest form", what)
	}
	r.r += n
	return v, nil
}

// field reads a field of n bytes, after checking n against the bytes that
// can remain before the trailer: in place in the buffer if it is all
// there, else into *own. It is valid until the buffer's bytes move.
func (r *Reader) field(own *[]byte, what string, n uint64) ([]byte, error) {
	if limit := r.limit(); n > uint64(max(limit, 0)) {
		return nil, r.corrupt("%s length %d exceeds remaining %d bytes", what, n, limit)
	}
	if n <= uint64(r.w-r.r) { // fast path: all buffered
		end := r.r + int(n)
		f := r.buf[r.r:end:end]
		r.r = end
		return f, nil
	}
	var err error
	*own, err = r.fieldSlow((*own)[:0], what, int(n))
	return *own, err
}

// readKey reads a key of n bytes, as field does, noting whether it is the
// previous record's key: only when it was all buffered, since reading the
// rest moves the buffer's bytes and keyBuf is then where the key goes.
func (r *Reader) readKey(n uint64) error {
	if n > uint64(r.w-r.r) {
		r.sameKey, r.keyInBuf = false, false
		var err error
		r.key, err = r.field(&r.keyBuf, "key", n)
		return err
	}
	key, err := r.field(&r.keyBuf, "key", n)
	if err != nil {
		return err
	}
	r.sameKey = r.count > 0 && bytes.Equal(key, r.key)
	r.key, r.keyInBuf = key, true
	return nil
}

// readValue reads a value of n bytes, as field does.
func (r *Reader) readValue(n uint64) error {
	inBuf := n <= uint64(r.w-r.r)
	v, err := r.field(&r.valBuf, "value", n)
	r.val, r.valInBuf = v, inBuf && err == nil
	return err
}

// limit returns the largest key or value length the rest of the run allows.
func (r *Reader) limit() int64 {
	switch {
	case r.size < 0:
		return maxRecord
	case r.lens != nil: // a text run: no trailer
		return min(maxRecord, r.size-r.offset())
	}
	return min(maxRecord, r.size-r.offset()-trailerLen)
}

// fieldSlow appends n bytes to dst, refilling the buffer as needed. When the
// size is unknown dst grows only as bytes arrive.
func (r *Reader) fieldSlow(dst []byte, what string, n int) ([]byte, error) {
	if r.size >= 0 { // n was checked against the size, so growing at once is safe
		dst = slices.Grow(dst, n)
	}
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(1); err != nil {
				return dst, r.readErr(what, err)
			}
		}
		k := min(n, r.w-r.r)
		dst = append(dst, r.buf[r.r:r.r+k]...)
		r.r += k
		n -= k
	}
	return dst, nil
}

// fill reads until at least need (<= len(buf)) unread bytes are buffered.
// It returns io.ErrUnexpectedEOF if the stream ends first, or src's error.
func (r *Reader) fill(need int) error {
	if r.w-r.r >= need {
		return nil
	}
	r.compact()
	for empty := 0; r.w-r.r < need; {
		if r.srcErr != nil {
			if r.srcErr == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return r.srcErr
		}
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		r.srcErr = err
		if n == 0 && err == nil {
			if empty++; empty == 100 { // as bufio: a reader that never progresses
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// compact hashes the consumed bytes and moves the unread ones to the front.
func (r *Reader) compact() {
	if r.keyInBuf { // the next readKey compares with it
		r.keyBuf = append(r.keyBuf[:0], r.key...)
		r.key, r.keyInBuf = r.keyBuf, false
	}
	if r.valInBuf {
		r.valBuf = append(r.valBuf[:0], r.val...)
		r.val, r.valInBuf = r.valBuf, false
	}
	r.hash()
	copy(r.buf, r.buf[r.r:r.w])
	r.base += int64(r.r)
	r.w -= r.r
	r.r, r.hashed = 0, 0
}

// hash adds the consumed, not yet hashed bytes to the CRC.
func (r *Reader) hash() {
	r.crc = crc32.Update(r.crc, table, r.buf[r.hashed:r.r])
	r.hashed = r.r
}

// offset returns the number of bytes consumed from the stream.
func (r *Reader) offset() int64 { return r.base + int64(r.r) }

// where names the part of the run being read, for error messages.
func (r *Reader) where() string {
	switch {
	case !r.started:
		return "header"
	case r.ended:
		return "trailer"
	}
	return fmt.Sprintf("record %d", r.count)
}

// corrupt returns a CorruptError located at the current position.
func (r *Reader) corrupt(format string, args ...any) error {
	return &CorruptError{Where: r.where(), Reason: fmt.Sprintf(format, args...)}
}

// readErr returns a CorruptError that also wraps err, the failure to read
// the named part.
func (r *Reader) readErr(what string, err error) error {
	return &CorruptError{Where: r.where(), Reason: "reading " + what + ": " + err.Error(), Err: err}
}
