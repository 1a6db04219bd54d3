package runfile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

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
	c.crc = crc32.Update(c.crc, table, p[:n])
	return n, err
}

// Writer streams records into the run format. Not safe for concurrent use.
// Records are written in the order given; sorting is the caller's job.
type Writer struct {
	bw      *bufio.Writer // buffers over cw, so cw hashes 64 KiB at a time
	cw      *crcWriter
	count   int64
	closed  bool
	err     error // sticky: first error of Write or Close
	scratch [binary.MaxVarintLen64]byte
}

// NewWriter returns a Writer that writes the header and records to w
// through a 64 KiB buffer. Nothing reaches w before a buffer fills or Close.
func NewWriter(w io.Writer) *Writer {
	cw := &crcWriter{w: w}
	bw := bufio.NewWriterSize(cw, bufSize)
	bw.WriteString(magic) // cannot fail: the buffer is empty
	return &Writer{bw: bw, cw: cw}
}

// Write appends one record. Keys and values longer than maxRecord are
// refused so every run stays readable without knowing its size.
func (w *Writer) Write(key, value string) error {
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
func (w *Writer) WriteBytes(key, value []byte) error {
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
func (w *Writer) check(klen, vlen int) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return errClosed
	case klen > maxRecord || vlen > maxRecord:
		return fmt.Errorf("runfile: run record too large: key %d bytes, value %d bytes, limit %d",
			klen, vlen, maxRecord)
	}
	return nil
}

// done records the outcome of writing one record. bufio.Writer errors are
// sticky, so the error of the last write covers the earlier ones.
func (w *Writer) done(err error) error {
	if err != nil {
		w.err = fmt.Errorf("runfile: writing run: %w", err)
		return w.err
	}
	w.count++
	return nil
}

// uvarint buffers v as a uvarint; errors surface through the next write.
func (w *Writer) uvarint(v uint64) {
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
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		w.closed = true
		return w.err
	}
	w.closed = true
	var t [9]byte // end marker, count
	binary.LittleEndian.PutUint64(t[1:], uint64(w.count))
	w.bw.Write(t[:])
	if err := w.bw.Flush(); err != nil { // now cw.crc covers every byte so far
		w.err = fmt.Errorf("runfile: writing run: %w", err)
		return w.err
	}
	w.bw.Write(binary.LittleEndian.AppendUint32(t[:0], w.cw.crc))
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("runfile: writing run: %w", err)
	}
	return w.err
}

// Count returns the number of records written so far.
func (w *Writer) Count() int64 { return w.count }

// Written returns the number and CRC-32C of the bytes the underlying writer
// has accepted. After a successful Close they describe the whole run.
func (w *Writer) Written() (size int64, crc uint32) { return w.cw.n, w.cw.crc }
