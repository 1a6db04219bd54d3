// Reading a piece of an input block by block, checking every block
// against the manifest before a byte of it is used, and cutting splits
// from the manifest alone.

package manifest

import (
	"errors"
	"fmt"
	"io"
)

// ErrMismatch is a block whose bytes do not match the manifest.
var ErrMismatch = errors.New("bytes differ from the job's manifest")

// Piece is the bytes [Off, Off+Len) of an input of Size bytes, to be read
// and checked in whole blocks of BS bytes: Sums are the checksums of the
// blocks covering it (Cover), from the first.
type Piece struct {
	Size int64
	Sums []uint32
	BS   int64
	Off  int64
	Len  int64
}

// PieceOf is the piece [off, off+length) of f.
func PieceOf(f *File, bs, off, length int64) Piece {
	first, n := Cover(off, length, bs)
	return Piece{Size: f.Size, Sums: f.Sums[first : first+n], BS: bs, Off: off, Len: length}
}

// Copier copies a piece to its destination block by block, each block
// checked before any of it is written, and remembers how far it got, so
// that what is left may be read from another source (Next).
type Copier struct {
	p     Piece
	dst   io.Writer
	first int // the first block covering the piece
	next  int // the next block to read
	end   int // past the last block
	done  int64
	buf   []byte
}

// NewCopier copies p to dst.
func NewCopier(p Piece, dst io.Writer) *Copier {
	first, n := Cover(p.Off, p.Len, p.BS)
	return &Copier{p: p, dst: dst, first: first, next: first, end: first + min(n, len(p.Sums))}
}

// Next is the first block still to read, and how many are left.
func (c *Copier) Next() (block, n int) { return c.next, c.end - c.next }

// Done is the bytes of the piece written so far.
func (c *Copier) Done() int64 { return c.done }

// Finished reports whether every byte of the piece is written.
func (c *Copier) Finished() bool { return c.done == c.p.Len }

// ReadBlocks reads the blocks still to read from src, which yields them
// back to back starting at block Next, checks each and writes its part
// of the piece. It returns the bytes of the piece written by this call.
// A block that does not match is ErrMismatch (wrapped, naming it), and a
// short source is io.ErrUnexpectedEOF; either way the blocks before it
// are written, and a later call may read the rest from elsewhere.
func (c *Copier) ReadBlocks(src io.Reader) (int64, error) {
	var wrote int64
	for c.next < c.end {
		lo := int64(c.next) * c.p.BS
		hi := min(lo+c.p.BS, c.p.Size)
		if c.buf == nil {
			c.buf = make([]byte, min(c.p.BS, c.p.Size)) // a small file's block is the file
		}
		b := c.buf[:hi-lo]
		if _, err := io.ReadFull(src, b); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return wrote, err
		}
		if Sum(b) != c.p.Sums[c.next-c.first] {
			return wrote, fmt.Errorf("%w: block %d (bytes %d to %d)", ErrMismatch, c.next, lo, hi)
		}
		from, to := max(c.p.Off, lo)-lo, min(c.p.Off+c.p.Len, hi)-lo
		if _, err := c.dst.Write(b[from:to]); err != nil {
			return wrote, &WriteError{err}
		}
		wrote += to - from
		c.done += to - from
		c.next++
	}
	return wrote, nil
}

// WriteError is a failure to write the destination: no source's fault.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// Cut cuts an input into line-aligned pieces of about size bytes from
// its manifest alone: size is rounded up to whole blocks, and each piece
// ends at the first line start at or after a multiple of it, so each
// holds whole lines, a line longer than a piece stays whole, and no byte
// is in two pieces. A last piece under a tenth of a piece joins the one
// before it (Cuttable). An empty file is one empty piece.
func Cut(f *File, bs, size int64) [][2]int64 {
	per := max(1, (size+bs-1)/bs) // blocks per piece
	var pieces [][2]int64
	start := int64(0)
	for b := per; b < int64(len(f.Lines)) && Cuttable(f.Size-start, per*bs); b += per {
		if end := f.Lines[b]; end > start {
			pieces = append(pieces, [2]int64{start, end - start})
			start = end
		}
	}
	if start < f.Size || len(pieces) == 0 {
		pieces = append(pieces, [2]int64{start, f.Size - start})
	}
	return pieces
}

// Cuttable reports whether rest bytes, from a piece's start to its
// file's end, are cut into a piece of about size bytes and more: only
// when more than a tenth of size would be left, so that a file a little
// over the split size is one task, not a task and a tiny one (Hadoop's
// SPLIT_SLOP of 1.1). Every cutter of inputs (input.Tasks, Cut) asks it.
func Cuttable(rest, size int64) bool { return rest > size && rest-size > size/10 }
