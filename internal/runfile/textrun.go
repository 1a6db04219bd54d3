// Text runs: a run's text (its lines "key value\n", as in mr-out-*) read
// back as its records, with the help of a lengths file written beside it.

package runfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// A text run is a sorted output kept once, as its text, rather than as its
// text and its run: the text alone cannot be read back as records (a key
// may hold spaces, a value newlines), so a lengths file beside it tells
// each record's key and value lengths. The coordinator's final merge reads
// the committed outputs this way, with the Reader's checks: lengths that
// the text's bytes bear out (a space after each key, a newline after each
// value, no byte left over), the count, and CRC-32Cs of the text and of
// the lengths file.
//
// The lengths file: per record uvarint(len(key)+1) and uvarint(len(value));
// then uvarint(0), the record count (uint64), the CRC-32C of the text and
// that of every byte of the file before it (uint32 each, little-endian).

// LensWriter writes the lengths file of a text run.
type LensWriter struct {
	w     io.Writer
	h     hash.Hash32
	buf   []byte
	count uint64
	err   error
}

// NewLensWriter writes a lengths file to w; Finish completes it.
func NewLensWriter(w io.Writer) *LensWriter {
	return &LensWriter{w: w, h: NewHash(), buf: make([]byte, 0, bufSize)}
}

// add notes one record of the text.
func (l *LensWriter) add(klen, vlen int) {
	l.buf = binary.AppendUvarint(l.buf, uint64(klen)+1)
	l.buf = binary.AppendUvarint(l.buf, uint64(vlen))
	l.count++
	if len(l.buf) > cap(l.buf)-2*binary.MaxVarintLen64 {
		l.flush()
	}
}

func (l *LensWriter) flush() {
	if l.err == nil {
		l.h.Write(l.buf)
		_, l.err = l.w.Write(l.buf)
	}
	l.buf = l.buf[:0]
}

// Finish ends the file: the end marker, the count, the CRC-32C of the
// text written (textCRC) and the file's own; it reports the first error
// of writing it.
func (l *LensWriter) Finish(textCRC uint32) error {
	l.buf = append(l.buf, 0)
	l.buf = binary.LittleEndian.AppendUint64(l.buf, l.count)
	l.buf = binary.LittleEndian.AppendUint32(l.buf, textCRC)
	l.h.Write(l.buf)
	l.buf = binary.LittleEndian.AppendUint32(l.buf, l.h.Sum32())
	if l.err == nil {
		_, l.err = l.w.Write(l.buf)
	}
	l.buf = l.buf[:0]
	return l.err
}

// NewTextReader returns a Reader of the records of a text run: its text
// from text, size bytes, and its lengths file from lens.
func NewTextReader(text io.Reader, size int64, lens io.Reader) *Reader {
	r := NewReader(text, size)
	r.lens = &lensReader{src: lens, h: NewHash()}
	return r
}

// lensReader reads a lengths file through a buffer of its own, hashing
// the bytes it consumed (buf[hashed:r] are consumed, not yet hashed).
type lensReader struct {
	src    io.Reader
	srcErr error
	buf    []byte
	r, w   int
	hashed int
	h      hash.Hash32
}

// ReadByte reads one byte; at the end of the file, io.EOF.
func (l *lensReader) ReadByte() (byte, error) {
	for l.r == l.w {
		if l.srcErr != nil {
			return 0, l.srcErr
		}
		if l.buf == nil {
			l.buf = make([]byte, 16<<10)
		}
		l.hash()
		l.r, l.w, l.hashed = 0, 0, 0
		n, err := l.src.Read(l.buf)
		l.w, l.srcErr = n, err
		if n == 0 && err == nil {
			l.srcErr = io.ErrNoProgress
		}
	}
	c := l.buf[l.r]
	l.r++
	return c, nil
}

func (l *lensReader) hash() {
	l.h.Write(l.buf[l.hashed:l.r])
	l.hashed = l.r
}

// next returns the next record's key and value lengths, or ok false at
// the end marker.
func (l *lensReader) next() (klen, vlen uint64, ok bool, err error) {
	if l.w-l.r >= 2*binary.MaxVarintLen64 { // fast path: both buffered
		k, n := binary.Uvarint(l.buf[l.r:l.w])
		if n > 0 && k > 0 {
			v, m := binary.Uvarint(l.buf[l.r+n : l.w])
			if m > 0 {
				l.r += n + m
				return k - 1, v, true, nil
			}
		}
	}
	k, err := binary.ReadUvarint(l)
	if err != nil || k == 0 {
		return 0, 0, false, err
	}
	v, err := binary.ReadUvarint(l)
	return k - 1, v, err == nil, err
}

// end reads the count and the CRCs after the end marker, checks the
// file's own CRC and that nothing follows, and returns the count and the
// text's CRC.
func (l *lensReader) end() (count uint64, textCRC uint32, err error) {
	var t [16]byte
	var sum uint32
	for i := range t {
		if i == 12 { // the file's CRC is of all before it
			l.hash()
			sum = l.h.Sum32()
		}
		if t[i], err = l.ReadByte(); err != nil {
			return 0, 0, err
		}
	}
	if stored := binary.LittleEndian.Uint32(t[12:]); stored != sum {
		return 0, 0, fmt.Errorf("crc %08x, computed %08x", stored, sum)
	}
	if _, err := l.ReadByte(); err != io.EOF {
		return 0, 0, errors.New("trailing bytes")
	}
	return binary.LittleEndian.Uint64(t[:8]), binary.LittleEndian.Uint32(t[8:12]), nil
}

// CheckLens reads the lengths file at path through and checks its own CRC;
// it returns the CRC of the text it describes. (The text is checked
// against the lengths as the final merge reads it.)
func CheckLens(path string) (textCRC uint32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	l := &lensReader{src: f, h: NewHash()}
	for {
		_, _, ok, err := l.next()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		if !ok {
			break
		}
	}
	_, textCRC, err = l.end()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return textCRC, nil
}

// nextLine reads one record of a text run, or at the end of its lengths
// checks the count, the text's CRC and that the text ends there.
func (r *Reader) nextLine() error {
	if !r.started {
		n := bufSize
		if r.size >= 0 && r.size < int64(n) {
			n = max(int(r.size)+1, 32)
		}
		r.buf, r.started = make([]byte, n), true
	}
	klen, vlen, ok, err := r.lens.next()
	switch {
	case err != nil:
		return r.readErr("lengths", err)
	case !ok:
		r.ended = true
		count, crc, err := r.lens.end()
		if err != nil {
			return r.readErr("lengths' trailer", err)
		}
		r.hash()
		switch {
		case crc != r.crc:
			return r.corrupt("text crc %08x, computed %08x", crc, r.crc)
		case count != uint64(r.count):
			return r.corrupt("count %d, read %d records", count, r.count)
		}
		return r.checkEnd()
	}
	if readInPlace && r.lineBuffered(klen, vlen) {
		return nil
	}
	if err := r.readKey(klen); err != nil {
		return err
	}
	if err := r.expect(' ', "space after the key"); err != nil {
		return err
	}
	if err = r.readValue(vlen); err != nil {
		return err
	}
	if err := r.expect('\n', "newline after the value"); err != nil {
		return err
	}
	r.count++
	return nil
}

// lineBuffered reads a text run's next line, of a key of klen bytes and a
// value of vlen, if it lies whole in the buffer and within the run's
// size, with its space and newline where the lengths say: the common
// line, read without a call per field. It reports false, having read
// nothing, for any other; nextLine then reads it field by field, with
// every check and error of its own.
func (r *Reader) lineBuffered(klen, vlen uint64) bool {
	avail := uint64(r.w - r.r)
	if klen >= avail || vlen >= avail-klen || klen+vlen+2 > avail {
		return false
	}
	k, end := r.r+int(klen), r.r+int(klen+vlen)+2
	if r.size >= 0 && r.offset()+int64(end-r.r) > r.size || r.buf[k] != ' ' || r.buf[end-1] != '\n' {
		return false
	}
	key := r.buf[r.r:k:k]
	r.r = end
	r.takeInPlace(key, r.buf[k+1:end-1:end-1])
	return true
}

// expect reads the byte c, the separator what.
func (r *Reader) expect(c byte, what string) error {
	if err := r.fill(1); err != nil {
		return r.readErr(what, err)
	}
	if r.buf[r.r] != c {
		return r.corrupt("%s: %q", what, r.buf[r.r])
	}
	r.r++
	return nil
}
