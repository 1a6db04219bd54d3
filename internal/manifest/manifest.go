// Package manifest describes a job's inputs by content, so that a copy of
// an input anywhere (a worker's -data directory, a peer, the coordinator)
// can be checked block by block as it is read, and so that a coordinator
// that holds no input can still cut the job into line-aligned splits.
//
// A manifest lists, for each input, its name (a file name without a
// folder: what a worker's -data directory holds it as), its size and, for
// every block of BlockSize bytes (1 MiB by default; the last one may be
// shorter):
//
//   - the block's CRC-32C (Castagnoli, the checksum of run files): computed
//     in hardware by Go on amd64 and arm64 at several GB/s, so checking
//     every block a map reads costs nothing next to the map; 4 bytes a
//     block (with its line start, 12 in memory and about 20 of manifest
//     text: 20 MiB a TiB in blocks of 1 MiB). It finds damage and stale
//     or different copies (random damage passes with odds of 2^-32 a
//     block), not a forgery: whoever can write a worker's data directory
//     can already make its maps emit anything, and every byte between
//     hosts is authenticated by the job secret;
//   - the first line start at or after the block's first byte, so that
//     splits can be cut at line ends from the manifest alone (Cut).
//
// The file format is text, one record a line (Write, Read):
//
//	mrmanifest 1
//	block-size 1048576
//	file SIZE NAME
//	CRC LINESTART           one line per block: CRC-32C in hex, decimal offset
//	...
//	sum CRC                 CRC-32C of every byte before this line
package manifest

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultBlockSize is a manifest's block size unless told otherwise.
const DefaultBlockSize = 1 << 20

// Limits of what a manifest may describe, so that reading one stays
// bounded whatever its source.
const (
	MinBlockSize = 512
	MaxBlockSize = 64 << 20
	maxNameLen   = 255
	maxFiles     = 1 << 20
	maxBlocks    = 1 << 26 // blocks of all files together: 64 TiB in blocks of 1 MiB
)

var table = crc32.MakeTable(crc32.Castagnoli)

// Sum is the CRC-32C of b, a block's checksum.
func Sum(b []byte) uint32 { return crc32.Checksum(b, table) }

// Manifest is a job's inputs by content.
type Manifest struct {
	BlockSize int64
	Files     []File
}

// File is one input: its name, its size, and per block its CRC-32C and
// the first line start at or after the block's first byte (Size if there
// is none).
type File struct {
	Name  string
	Size  int64
	Sums  []uint32
	Lines []int64
}

// Blocks is how many blocks a file of size bytes has in blocks of bs.
func Blocks(size, bs int64) int { return int((size + bs - 1) / bs) }

// Cover is the blocks [first, first+n) that hold the bytes [off,
// off+length) in blocks of bs; none for an empty range.
func Cover(off, length, bs int64) (first, n int) {
	if length <= 0 {
		return int(off / bs), 0
	}
	first = int(off / bs)
	return first, int((off+length-1)/bs) - first + 1
}

// CheckName refuses a name that is not a plain file name: empty, "." or
// "..", hidden, holding a slash, a NUL or a line break, not UTF-8, or
// longer than maxNameLen. A manifest's names are the only names a worker
// looks up in its data directory.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == ".." || strings.HasPrefix(name, "."):
		return fmt.Errorf("mr: input name %q: not a plain file name", name)
	case len(name) > maxNameLen || !utf8.ValidString(name) || strings.ContainsAny(name, "/\\\x00\n\r"):
		return fmt.Errorf("mr: input name %q: not a plain file name of at most %d bytes", truncate(name), maxNameLen)
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Check reports a manifest that does not hold together: a block size
// out of bounds, a bad or repeated name, block lists of the wrong length,
// line starts out of order or out of their block's reach.
func (m *Manifest) Check() error {
	if m.BlockSize < MinBlockSize || m.BlockSize > MaxBlockSize {
		return fmt.Errorf("mr: manifest block size %d: want %d to %d", m.BlockSize, MinBlockSize, MaxBlockSize)
	}
	if len(m.Files) > maxFiles {
		return fmt.Errorf("mr: manifest lists %d files, at most %d", len(m.Files), maxFiles)
	}
	seen := make(map[string]bool, len(m.Files))
	for i := range m.Files {
		f := &m.Files[i]
		if err := CheckName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("mr: manifest names %s twice", f.Name)
		}
		seen[f.Name] = true
		if err := f.check(m.BlockSize); err != nil {
			return fmt.Errorf("mr: manifest entry %s: %w", f.Name, err)
		}
	}
	return nil
}

func (f *File) check(bs int64) error {
	n := Blocks(f.Size, bs)
	if f.Size < 0 || len(f.Sums) != n || len(f.Lines) != n {
		return fmt.Errorf("%d bytes need %d blocks, %d sums and %d line starts given", f.Size, n, len(f.Sums), len(f.Lines))
	}
	for b, ls := range f.Lines {
		if ls < int64(b)*bs || ls > f.Size || (b == 0 && ls != 0) || (b > 0 && ls < f.Lines[b-1]) {
			return fmt.Errorf("block %d: line start %d out of place", b, ls)
		}
	}
	return nil
}

// Index maps each file's name to its place in m.Files.
func (m *Manifest) Index() map[string]int {
	idx := make(map[string]int, len(m.Files))
	for i, f := range m.Files {
		idx[f.Name] = i
	}
	return idx
}

// Scan reads a whole input from r and describes it in blocks of bs.
func Scan(r io.Reader, name string, bs int64) (File, error) {
	f := File{Name: name}
	buf := make([]byte, bs)
	var firstNL []int64 // per block: offset of its first '\n', or -1
	var endsNL []bool   // per block: its last byte is '\n'
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			b := buf[:n]
			f.Sums = append(f.Sums, Sum(b))
			nl := int64(-1)
			if i := indexNL(b); i >= 0 {
				nl = f.Size + int64(i)
			}
			firstNL, endsNL = append(firstNL, nl), append(endsNL, b[n-1] == '\n')
			f.Size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return File{}, err
		}
	}
	f.Lines = lineStarts(f.Size, bs, firstNL, endsNL)
	return f, nil
}

func indexNL(b []byte) int { return bytes.IndexByte(b, '\n') }

// lineStarts is, per block, the first line start at or after its first
// byte: the block's start if the previous block ends a line, else just
// past the next '\n' from the block on, else size.
func lineStarts(size, bs int64, firstNL []int64, endsNL []bool) []int64 {
	ls := make([]int64, len(firstNL))
	next := int64(-1) // the first '\n' at or after block b
	for b := len(firstNL) - 1; b >= 1; b-- {
		if firstNL[b] >= 0 {
			next = firstNL[b]
		}
		switch {
		case endsNL[b-1]:
			ls[b] = int64(b) * bs
		case next >= 0:
			ls[b] = next + 1
		default:
			ls[b] = size
		}
	}
	return ls
}
