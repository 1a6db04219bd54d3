// Runs as text, one line per record, "key value\n": the format of mr-out-*
// and of mrsequential's output.

package runfile

import (
	"bufio"
	"bytes"
	"io"
)

// WriteTextSegment writes the records of the run seg (in a file or in
// memory) to w as text.
func WriteTextSegment(seg Segment, w io.Writer) error {
	runs, closeAll, err := OpenSegments([]Segment{seg})
	if err != nil {
		return err
	}
	defer closeAll()
	return writeText(runs, w, seg.Size, nil)
}

// WriteTextStream writes the run read from src, of size bytes, to w as
// text as it reads it, and its records' lengths to lens unless it is nil
// (the caller then Finishes lens); the run is verified as it goes (its
// structure, count, CRC and size), so an error wrapping ErrCorrupt may
// come after some of its text was written.
func WriteTextStream(src io.Reader, size int64, w io.Writer, lens *LensWriter) error {
	return writeText([]*Reader{NewReader(src, size)}, w, size, lens)
}

// MergeTextSegments merges runs, in files (Size -1: the whole file) or
// in memory, by key and writes the records to w as text.
func MergeTextSegments(segs []Segment, w io.Writer) error {
	if _, err := sizeSegments(segs); err != nil {
		return err
	}
	runs, closeAll, err := OpenSegments(segs)
	if err != nil {
		return err
	}
	defer closeAll()
	return writeText(runs, w, -1, nil)
}

// sizeSegments gives the segments of whole files (Size -1) their files'
// sizes, in place, and returns the sizes' sum.
func sizeSegments(segs []Segment) (int64, error) {
	var total int64
	for i, s := range segs {
		if s.Path != "" && s.Size < 0 {
			whole, err := wholeFile(s.Path)
			if err != nil {
				return 0, err
			}
			segs[i].Off, segs[i].Size = 0, whole.Size
		}
		total += segs[i].Size
	}
	return total, nil
}

// writeText merges runs by key and writes the records to w as text,
// through a buffer of up to 256 KiB, less for runs of size bytes (-1:
// unknown): a job of thousands of small outputs would spend more on
// clearing buffers than on its records. Past aheadFrom bytes (or of an
// unknown size) the buffers are written by a goroutine of their own
// while the next is filled (aheadWriter).
func writeText(runs []*Reader, w io.Writer, size int64, lens *LensWriter) error {
	buf := 256 << 10
	if size >= 0 && size < int64(buf) {
		buf = max(int(size)+64, 512)
	}
	var bw textWriter
	if size < 0 || size >= aheadFrom {
		bw = newAheadWriter(w, buf)
	} else {
		bw = bufferedLines{bufio.NewWriterSize(w, buf)}
	}
	if len(runs) == 1 {
		return convertRun(runs[0], bw, lens)
	}
	return writeLines(NewMerger(runs), bw, nil, lens)
}

// convertRun is writeLines for a lone run (an upload taken in, a small
// output written): the records that lie whole in the reader's buffer are
// read in place (nextBuffered) and written in one loop, with no merge
// around them (a record cost the coordinator five calls before its
// text). Its errors are the Reader's own.
func convertRun(r *Reader, bw textWriter, lens *LensWriter) error {
	for r.Next() {
		for {
			bw.WriteLine(r.key, r.val)
			if lens != nil {
				lens.add(len(r.key), len(r.val))
			}
			if r.lens != nil || !readInPlace || !r.nextBuffered() {
				break
			}
		}
	}
	return endLines(bw, lens, r.Err())
}

// writeLines writes the records of m, up to the first whose key is hi or
// more (nil: all), to bw as text, and flushes it; and their lengths to
// lens unless it is nil.
func writeLines(m *Merger, bw textWriter, hi []byte, lens *LensWriter) error {
	for m.Next() {
		if hi != nil && bytes.Compare(m.Key(), hi) >= 0 {
			break
		}
		bw.WriteLine(m.Key(), m.Value())
		if lens != nil {
			lens.add(len(m.Key()), len(m.Value()))
		}
	}
	return endLines(bw, lens, m.Err())
}

// endLines flushes bw, and lens unless it is nil, after the records read
// ended with readErr: the error of the records read, if any, else the
// writes'.
func endLines(bw textWriter, lens *LensWriter, readErr error) error {
	if lens != nil {
		lens.flush()
	}
	err := bw.Flush()
	if readErr != nil {
		return readErr
	}
	return err
}

// aheadFrom is the size of runs from which writeText writes ahead.
const aheadFrom = 4 << 20

// textWriter is what writeText writes through.
type textWriter interface {
	// WriteLine writes "key value\n".
	WriteLine(key, value []byte)
	Flush() error
}

// bufferedLines is a bufio.Writer as a textWriter.
type bufferedLines struct{ *bufio.Writer }

func (b bufferedLines) WriteLine(key, value []byte) {
	if len(key)+len(value)+2 <= b.Available() {
		b.Write(appendLine(b.AvailableBuffer(), key, value)) // AvailableBuffer's idiom: it lies where it is written
		return
	}
	writePieces(b, key, value)
}

// appendLine appends "key value\n" to b.
func appendLine(b, key, value []byte) []byte {
	return append(append(append(append(b, key...), ' '), value...), '\n')
}

// writePieces writes "key value\n" to w piece by piece: a line longer than
// what is left of a buffer.
func writePieces(w interface {
	io.Writer
	io.ByteWriter
}, key, value []byte) {
	w.Write(key)
	w.WriteByte(' ')
	w.Write(value)
	w.WriteByte('\n')
}
