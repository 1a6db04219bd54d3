// A worker's copy of an input: known by its identity as it was listed,
// opened only while it keeps it, and read into memory block by block,
// each block checked before it counts.

package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// FileKey is a file's identity as stat shows it: a copy that keeps its key
// is the file that was listed, unchanged (ctime moves with every write
// and every chmod, whatever mtime is set to).
type FileKey struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64
}

// KeyOf is the key of the file st describes.
func KeyOf(st fs.FileInfo) FileKey {
	k := FileKey{Size: st.Size(), Mtime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		k.Dev, k.Ino = uint64(sys.Dev), sys.Ino
		k.Ctime = time.Unix(int64(sys.Ctim.Sec), int64(sys.Ctim.Nsec)).UnixNano()
	}
	return k
}

// OpenCopy opens the copy at path if it is still the file whose key is
// want: a link put in its place is refused, and so is another file or
// the same one written to since.
func OpenCopy(path string, want FileKey) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && KeyOf(st) != want {
		err = fmt.Errorf("mr: %s changed since the worker listed it (another file, or a link to one, or written to)", path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Check refuses a piece that does not lie within its input, or whose
// checksums are not one per block covering it.
func (p Piece) Check() error {
	if p.BS <= 0 {
		return fmt.Errorf("mr: a piece in blocks of %d bytes", p.BS)
	}
	if _, n := Cover(p.Off, p.Len, p.BS); len(p.Sums) != n || p.Off < 0 || p.Len < 0 || p.Off+p.Len > p.Size {
		return fmt.Errorf("mr: piece [%d, +%d) of an input of %d bytes, with %d checksums of its %d blocks",
			p.Off, p.Len, p.Size, len(p.Sums), n)
	}
	return nil
}

// ReadInto reads piece p of the input that src holds whole into dst,
// exactly p.Len bytes long: every block covering the piece is read whole
// and checked before any of it counts. A block wholly inside the piece is
// read straight into dst, so that the bytes are copied once; the first
// and last, when the piece begins or ends inside them, through a buffer.
// A block that does not match is ErrMismatch (wrapped, naming it), a
// source too short io.ErrUnexpectedEOF; dst's bytes then mean nothing.
func ReadInto(dst []byte, src io.ReaderAt, p Piece) error {
	if err := p.Check(); err != nil {
		return err
	}
	if int64(len(dst)) != p.Len {
		return fmt.Errorf("mr: a piece of %d bytes read into %d", p.Len, len(dst))
	}
	first, n := Cover(p.Off, p.Len, p.BS)
	var buf []byte
	for k := range n {
		lo := int64(first+k) * p.BS
		hi := min(lo+p.BS, p.Size)
		inside := lo >= p.Off && hi <= p.Off+p.Len
		var b []byte
		if inside {
			b = dst[lo-p.Off : hi-p.Off]
		} else {
			if buf == nil {
				buf = make([]byte, min(p.BS, p.Size))
			}
			b = buf[:hi-lo]
		}
		if got, err := src.ReadAt(b, lo); got < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if Sum(b) != p.Sums[k] {
			return fmt.Errorf("%w: block %d (bytes %d to %d)", ErrMismatch, first+k, lo, hi)
		}
		if !inside {
			from, to := max(p.Off, lo), min(p.Off+p.Len, hi)
			copy(dst[from-p.Off:to-p.Off], b[from-lo:to-lo])
		}
	}
	return nil
}
