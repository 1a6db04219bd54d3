package mr

// The run file format holds one sorted run of intermediate records:
//
//	header:  the 4 bytes "MRR1"
//	records: uvarint(len(key)+1) key uvarint(len(value)) value   (repeated)
//	end:     the single byte 0x00 (uvarint 0)
//	trailer: record count as uint64 little-endian, then the CRC-32C
//	         (Castagnoli) as uint32 little-endian of every byte before it
//
// Nothing may follow the trailer. Varints must be in their shortest form, so
// a run that decodes cleanly re-encodes to exactly the same bytes.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
)

const (
	runMagic      = "MRR1"
	runTrailerLen = 1 + 8 + 4                            // end marker, count, CRC
	runMinLen     = int64(len(runMagic) + runTrailerLen) // an empty run
	runBufSize    = 64 << 10
	maxRunRecord  = 64 << 20 // cap on a key or value when the run size is unknown
)

var (
	// ErrCorruptRun is wrapped by every error a runReader reports: bad
	// header, truncation, impossible lengths, count or CRC mismatch, trailing
	// bytes, and failures of the underlying reader. Test with errors.Is.
	ErrCorruptRun = errors.New("mr: corrupt run file")

	// errRunWriterClosed is returned by a runWriter used after Close.
	errRunWriterClosed = errors.New("mr: write to closed run writer")
)

// castagnoli is the CRC-32C (Castagnoli) table used for run files and their checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcWriter passes writes through to w, counting and hashing the bytes that
// w accepted.
type crcWriter struct {
	w   io.Writer
	n   int64
	crc uint32
}

// Write writes p to the underlying writer and hashes what it accepted.
func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

// runWriter streams records into the run format. Not safe for concurrent use.
// Records are written in the order given; sorting is the caller's job.
type runWriter struct {
	bw      *bufio.Writer // buffers over cw, so cw hashes 64 KiB at a time
	cw      *crcWriter
	count   int64
	closed  bool
	err     error // sticky: first error of Write or Close
	scratch [binary.MaxVarintLen64]byte
}

// newRunWriter returns a runWriter that writes the header and records to w
// through a 64 KiB buffer. Nothing reaches w before a buffer fills or Close.
func newRunWriter(w io.Writer) *runWriter {
	cw := &crcWriter{w: w}
	bw := bufio.NewWriterSize(cw, runBufSize)
	bw.WriteString(runMagic) // cannot fail: the buffer is empty
	return &runWriter{bw: bw, cw: cw}
}

// Write appends one record. Keys and values longer than maxRunRecord are
// refused so every run stays readable without knowing its size.
func (w *runWriter) Write(key, value string) error {
	if err := w.check(len(key), len(value)); err != nil {
		return err
	}
	w.uvarint(uint64(len(key)) + 1)
	w.bw.WriteString(key)
	w.uvarint(uint64(len(value)))
	_, err := w.bw.WriteString(value)
	return w.done(err)
}

// WriteBytes is Write for byte slices, without conversions. The slices are
// not retained.
func (w *runWriter) WriteBytes(key, value []byte) error {
	if err := w.check(len(key), len(value)); err != nil {
		return err
	}
	w.uvarint(uint64(len(key)) + 1)
	w.bw.Write(key)
	w.uvarint(uint64(len(value)))
	_, err := w.bw.Write(value)
	return w.done(err)
}

// check reports whether a record of the given lengths may be written.
func (w *runWriter) check(klen, vlen int) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return errRunWriterClosed
	case klen > maxRunRecord || vlen > maxRunRecord:
		return fmt.Errorf("mr: run record too large: key %d bytes, value %d bytes, limit %d",
			klen, vlen, maxRunRecord)
	}
	return nil
}

// done records the outcome of writing one record. bufio.Writer errors are
// sticky, so the error of the last write covers the earlier ones.
func (w *runWriter) done(err error) error {
	if err != nil {
		w.err = fmt.Errorf("mr: writing run: %w", err)
		return w.err
	}
	w.count++
	return nil
}

// uvarint buffers v as a uvarint; errors surface through the next write.
func (w *runWriter) uvarint(v uint64) {
	if v < 0x80 {
		w.bw.WriteByte(byte(v))
		return
	}
	n := binary.PutUvarint(w.scratch[:], v)
	w.bw.Write(w.scratch[:n])
}

// Close writes the end marker and trailer and flushes everything to the
// underlying writer, which it does not close. Later calls return the first
// call's result.
func (w *runWriter) Close() error {
	if w.closed || w.err != nil {
		w.closed = true
		return w.err
	}
	w.closed = true
	var t [9]byte // end marker, count
	binary.LittleEndian.PutUint64(t[1:], uint64(w.count))
	w.bw.Write(t[:])
	if err := w.bw.Flush(); err != nil { // now cw.crc covers every byte so far
		w.err = fmt.Errorf("mr: writing run: %w", err)
		return w.err
	}
	w.bw.Write(binary.LittleEndian.AppendUint32(t[:0], w.cw.crc))
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("mr: writing run: %w", err)
	}
	return w.err
}

// Count returns the number of records written so far.
func (w *runWriter) Count() int64 { return w.count }

// written returns the number and CRC-32C of the bytes the underlying writer
// has accepted. After a successful Close they describe the whole run.
func (w *runWriter) written() (size int64, crc uint32) { return w.cw.n, w.cw.crc }

// writeRunFile writes a run file at path through fill, atomically: it
// appears complete or not at all. fill must write records in key order.
// The result has the size and CRC-32C of the whole file's bytes, which
// peers use to verify a fetched copy. Run files die with their worker, so
// they are not fsynced.
func writeRunFile(path string, fill func(*runWriter) error) (RunInfo, error) {
	f, err := createScratch(path)
	if err != nil {
		return RunInfo{}, err
	}
	defer f.Abort()
	w := newRunWriter(f)
	if err := fill(w); err != nil {
		return RunInfo{}, fmt.Errorf("mr: writing run %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return RunInfo{}, fmt.Errorf("mr: writing run %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return RunInfo{}, err
	}
	size, crc := w.written()
	return RunInfo{Size: size, CRC: crc, Records: w.Count()}, nil
}

// writeRecords writes records already sorted by key.
func writeRecords(kvs []KeyValue) func(*runWriter) error {
	return func(w *runWriter) error {
		for _, kv := range kvs {
			if err := w.Write(kv.Key, kv.Value); err != nil {
				return err
			}
		}
		return nil
	}
}

// fileCRC returns the size and CRC-32C of all bytes of the file at path.
func fileCRC(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("mr: checksumming run: %w", err)
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.CopyBuffer(h, f, make([]byte, runBufSize))
	if err != nil {
		return 0, 0, fmt.Errorf("mr: checksumming %s: %w", path, err)
	}
	return n, h.Sum32(), nil
}

// runReader decodes and verifies a run stream. Not safe for concurrent use.
//
// It buffers the stream itself rather than through bufio so that the CRC is
// computed over whole consumed stretches of the buffer instead of per field:
// buf[hashed:r] has been consumed but not yet hashed.
type runReader struct {
	src    io.Reader
	srcErr error // sticky error of src, io.EOF at its end
	size   int64 // total run length as told by the caller, or -1

	buf    []byte // allocated on the first Next
	r, w   int    // buf[r:w] is buffered and unread
	hashed int    // buf[:hashed] is in crc
	base   int64  // stream offset of buf[0]
	crc    uint32

	key, val []byte
	count    int64
	started  bool // header read
	ended    bool // end marker read
	done     bool // trailer verified
	err      error
}

// newRunReader returns a reader of a run of total length size bytes, as the
// caller knows from stat or Content-Length. Every length prefix is checked
// against the bytes remaining, so a corrupt length never makes it allocate
// more than size. If size < 0 the size is unknown and each key or value is
// capped at maxRunRecord; even then memory grows only with bytes actually
// read.
func newRunReader(r io.Reader, size int64) *runReader {
	if size < 0 {
		size = -1
	}
	return &runReader{src: r, size: size}
}

// Next advances to the next record. It returns false at the verified end of
// the run or on error; Err tells which.
func (r *runReader) Next() bool {
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
func (r *runReader) Key() []byte { return r.key }

// Value returns the current value. It is valid until the next call to Next.
func (r *runReader) Value() []byte { return r.val }

// Err returns nil while records are being read and after a clean, verified
// end; otherwise an error wrapping ErrCorruptRun (and the underlying read
// error, if any).
func (r *runReader) Err() error { return r.err }

// Count returns the number of records read so far.
func (r *runReader) Count() int64 { return r.count }

// next reads one record, or the end marker and trailer.
func (r *runReader) next() error {
	if !r.started {
		if err := r.readHeader(); err != nil {
			return err
		}
	}
	klen, err := r.uvarint("key length")
	if err != nil {
		return err
	}
	if klen == 0 {
		r.ended = true
		return r.readTrailer()
	}
	if r.key, err = r.field(r.key, "key", klen-1); err != nil {
		return err
	}
	vlen, err := r.uvarint("value length")
	if err != nil {
		return err
	}
	if r.val, err = r.field(r.val, "value", vlen); err != nil {
		return err
	}
	r.count++
	return nil
}

// readHeader allocates the buffer and checks the magic.
func (r *runReader) readHeader() error {
	if r.size >= 0 && r.size < runMinLen {
		return r.corrupt("size %d is below the minimum %d", r.size, runMinLen)
	}
	n := runBufSize
	if r.size >= 0 && r.size < int64(n) {
		n = max(int(r.size)+1, 32) // +1 leaves room to detect trailing bytes
	}
	r.buf = make([]byte, n)
	if err := r.fill(len(runMagic)); err != nil {
		return r.readErr("magic", err)
	}
	if string(r.buf[r.r:r.r+len(runMagic)]) != runMagic {
		return r.corrupt("bad magic %q", r.buf[r.r:r.r+len(runMagic)])
	}
	r.r += len(runMagic)
	r.started = true
	return nil
}

// readTrailer reads the count and CRC after the end marker, verifies them,
// and checks that the stream ends there.
func (r *runReader) readTrailer() error {
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
func (r *runReader) checkEnd() error {
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
func (r *runReader) uvarint(what string) (uint64, error) {
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

// field reads n bytes into dst[:0], after checking n against the bytes that
// can remain before the trailer.
func (r *runReader) field(dst []byte, what string, n uint64) ([]byte, error) {
	if limit := r.limit(); n > uint64(max(limit, 0)) {
		return dst, r.corrupt("%s length %d exceeds remaining %d bytes", what, n, limit)
	}
	if n <= uint64(r.w-r.r) { // fast path: all buffered
		end := r.r + int(n)
		dst = append(dst[:0], r.buf[r.r:end]...)
		r.r = end
		return dst, nil
	}
	return r.fieldSlow(dst[:0], what, int(n))
}

// limit returns the largest key or value length the rest of the run allows.
func (r *runReader) limit() int64 {
	if r.size < 0 {
		return maxRunRecord
	}
	return r.size - r.offset() - runTrailerLen
}

// fieldSlow appends n bytes to dst, refilling the buffer as needed. When the
// size is unknown dst grows only as bytes arrive.
func (r *runReader) fieldSlow(dst []byte, what string, n int) ([]byte, error) {
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
func (r *runReader) fill(need int) error {
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
func (r *runReader) compact() {
	r.hash()
	copy(r.buf, r.buf[r.r:r.w])
	r.base += int64(r.r)
	r.w -= r.r
	r.r, r.hashed = 0, 0
}

// hash adds the consumed, not yet hashed bytes to the CRC.
func (r *runReader) hash() {
	r.crc = crc32.Update(r.crc, castagnoli, r.buf[r.hashed:r.r])
	r.hashed = r.r
}

// offset returns the number of bytes consumed from the stream.
func (r *runReader) offset() int64 { return r.base + int64(r.r) }

// where names the part of the run being read, for error messages.
func (r *runReader) where() string {
	switch {
	case !r.started:
		return "header"
	case r.ended:
		return "trailer"
	}
	return fmt.Sprintf("record %d", r.count)
}

// corrupt returns an ErrCorruptRun error located at the current position.
func (r *runReader) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorruptRun, r.where(), fmt.Sprintf(format, args...))
}

// readErr returns an ErrCorruptRun error that also wraps err, the failure
// to read the named part.
func (r *runReader) readErr(what string, err error) error {
	return fmt.Errorf("%w: %s: reading %s: %w", ErrCorruptRun, r.where(), what, err)
}
