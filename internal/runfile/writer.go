// Writer, the encoder of one run, buffered, that hashes what it writes
// for the trailer.

package runfile

import (
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
//
// Records are encoded straight into a 64 KiB buffer, which goes to the
// underlying writer (and the CRC) whole; a record larger than the buffer
// goes through in pieces.
type Writer struct {
	cw     *crcWriter
	buf    []byte // encoded, not yet written; cap bufSize
	rec    []byte // WriteRepeat's encoded record
	count  int64
	closed bool
	err    error // sticky: first error of Write or Close
}

// newWriter returns a Writer that writes the header and records to w
// through a 64 KiB buffer. Nothing reaches w before a buffer fills or Close.
func newWriter(w io.Writer) *Writer {
	buf := make([]byte, 0, bufSize)
	return &Writer{cw: &crcWriter{w: w}, buf: append(buf, magic...)}
}

// Write appends one record. Keys and values longer than maxRecord are
// refused so every run stays readable without knowing its size.
func (w *Writer) Write(key, value string) error { return writeRecord(w, key, value) }

// WriteBytes is Write for byte slices, without conversions. The slices are
// not retained.
func (w *Writer) WriteBytes(key, value []byte) error { return writeRecord(w, key, value) }

// WriteRepeat appends n copies of the record (key, value), as n calls of
// Write would, encoding it once.
func (w *Writer) WriteRepeat(key, value string, n int) error {
	return writeRepeat(w, key, value, n)
}

// WriteRepeatBytes is WriteRepeat for byte slices, which are not retained.
func (w *Writer) WriteRepeatBytes(key, value []byte, n int) error {
	return writeRepeat(w, key, value, n)
}

func writeRecord[S string | []byte](w *Writer, key, value S) error {
	if err := w.check(len(key), len(value)); err != nil {
		return err
	}
	if len(w.buf)+recordLen(len(key), len(value)) > cap(w.buf) {
		return w.writeLarge(string(key), string(value))
	}
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key))+1)
	w.buf = append(w.buf, key...)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(value)))
	w.buf = append(w.buf, value...)
	w.count++
	return nil
}

func writeRepeat[S string | []byte](w *Writer, key, value S, n int) error {
	if n == 1 || recordLen(len(key), len(value)) > cap(w.buf)/4 {
		for ; n > 0; n-- {
			if err := writeRecord(w, key, value); err != nil {
				return err
			}
		}
		return nil
	}
	if n <= 0 {
		return nil
	}
	if err := w.check(len(key), len(value)); err != nil {
		return err
	}
	w.rec = binary.AppendUvarint(w.rec[:0], uint64(len(key))+1)
	w.rec = append(w.rec, key...)
	w.rec = binary.AppendUvarint(w.rec, uint64(len(value)))
	w.rec = append(w.rec, value...)
	for ; n > 0; n-- {
		if len(w.buf)+len(w.rec) > cap(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, w.rec...)
		w.count++
	}
	return nil
}

// recordLen is the encoded length of a record, at most.
func recordLen(klen, vlen int) int {
	return 2*binary.MaxVarintLen64 + klen + vlen
}

// writeLarge writes a record that may not fit in the buffer: the buffer
// first, then the record's pieces, each through the buffer or straight
// to the underlying writer.
func (w *Writer) writeLarge(key, value string) error {
	var klen, vlen [binary.MaxVarintLen64]byte
	parts := [...]string{
		string(binary.AppendUvarint(klen[:0], uint64(len(key))+1)), key,
		string(binary.AppendUvarint(vlen[:0], uint64(len(value)))), value,
	}
	for _, p := range parts {
		if len(w.buf)+len(p) > cap(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
		if len(p) > cap(w.buf) {
			if _, err := io.WriteString(w.cw, p); err != nil {
				return w.fail(err)
			}
			continue
		}
		w.buf = append(w.buf, p...)
	}
	w.count++
	return nil
}

// flush writes the buffer to the underlying writer and empties it.
func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.cw.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		return w.fail(err)
	}
	return nil
}

// fail makes err the Writer's sticky error.
func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("runfile: writing run: %w", err)
	return w.err
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

// Close writes the end marker and trailer and flushes everything to the
// underlying writer, which it does not close. Later calls return the first
// call's result.
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		w.closed = true
		return w.err
	}
	w.closed = true
	w.buf = append(w.buf, 0) // end marker
	w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(w.count))
	if err := w.flush(); err != nil { // now cw.crc covers every byte so far
		return err
	}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, w.cw.crc)
	return w.flush()
}

// Count returns the number of records written so far.
func (w *Writer) Count() int64 { return w.count }

// written returns the number and CRC-32C of the bytes the underlying writer
// has accepted. After a successful Close they describe the whole run.
func (w *Writer) written() (size int64, crc uint32) { return w.cw.n, w.cw.crc }
