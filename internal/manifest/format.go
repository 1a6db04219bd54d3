// Writing and reading the manifest's file format (see the package
// comment): text, one record a line, closed by the CRC-32C of everything
// before its last line, so that a torn or damaged manifest is refused
// rather than half used.

package manifest

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

const magic = "mrmanifest 1"

// Write writes m in the manifest format.
func (m *Manifest) Write(w io.Writer) error {
	h := crc32.New(table)
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	fmt.Fprintf(bw, "%s\nblock-size %d\n", magic, m.BlockSize)
	for _, f := range m.Files {
		fmt.Fprintf(bw, "file %d %s\n", f.Size, f.Name)
		for b, sum := range f.Sums {
			fmt.Fprintf(bw, "%08x %d\n", sum, f.Lines[b])
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "sum %08x\n", h.Sum32())
	return err
}

// Read reads and checks a manifest written by Write.
func Read(r io.Reader) (*Manifest, error) {
	mr := &reader{sc: bufio.NewScanner(r), h: crc32.New(table), m: &Manifest{}}
	mr.sc.Buffer(make([]byte, 4096), 4096)
	if err := mr.header(); err != nil {
		return nil, err
	}
	for {
		l, ok := mr.next()
		if !ok {
			break
		}
		if sum, isSum := strings.CutPrefix(l, "sum "); isSum {
			return mr.end(sum)
		}
		mr.h.Write([]byte(l + "\n"))
		var err error
		if rest, isFile := strings.CutPrefix(l, "file "); isFile {
			err = mr.file(rest)
		} else {
			err = mr.block(l)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := mr.sc.Err(); err != nil {
		return nil, fmt.Errorf("mr: manifest line %d: %w", mr.line+1, err)
	}
	return nil, errors.New("mr: the manifest is cut short: its last line (sum) is missing")
}

// reader reads a manifest line by line, summing what it read.
type reader struct {
	sc     *bufio.Scanner
	h      hash.Hash32
	m      *Manifest
	f      *File // the file whose blocks are being read
	line   int
	blocks int
}

func (r *reader) next() (string, bool) {
	if !r.sc.Scan() {
		return "", false
	}
	r.line++
	return r.sc.Text(), true
}

func (r *reader) bad(what string) error { return fmt.Errorf("mr: manifest line %d: %s", r.line, what) }

// header reads the first two lines: the format's name and the block size.
func (r *reader) header() error {
	if l, ok := r.next(); !ok || l != magic {
		return errors.New("mr: not a manifest (written by mrmanifest): the first line is not \"" + magic + "\"")
	}
	l, _ := r.next()
	if _, err := fmt.Sscanf(l, "block-size %d", &r.m.BlockSize); err != nil || r.m.BlockSize < MinBlockSize {
		return r.bad(fmt.Sprintf("want block-size N, N at least %d", MinBlockSize))
	}
	r.h.Write([]byte(magic + "\n" + l + "\n"))
	return nil
}

// complete refuses a file of fewer blocks than its size needs.
func (r *reader) complete() error {
	if r.f != nil && len(r.f.Sums) != Blocks(r.f.Size, r.m.BlockSize) {
		return r.bad(fmt.Sprintf("file %s lacks blocks", r.f.Name))
	}
	return nil
}

// file starts a file: "file SIZE NAME".
func (r *reader) file(rest string) error {
	if err := r.complete(); err != nil {
		return err
	}
	size, name, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || len(r.m.Files) >= maxFiles {
		return r.bad("want file SIZE NAME")
	}
	r.m.Files = append(r.m.Files, File{Name: name, Size: n})
	r.f = &r.m.Files[len(r.m.Files)-1]
	return nil
}

// block adds a block to the file: "CRC LINESTART".
func (r *reader) block(l string) error {
	var sum uint32
	var ls int64
	if _, err := fmt.Sscanf(l, "%08x %d", &sum, &ls); err != nil || r.f == nil || len(r.f.Sums) >= Blocks(r.f.Size, r.m.BlockSize) {
		return r.bad("want CRC LINESTART of a block of the file above")
	}
	if r.blocks++; r.blocks > maxBlocks {
		return r.bad(fmt.Sprintf("more than %d blocks", maxBlocks))
	}
	r.f.Sums, r.f.Lines = append(r.f.Sums, sum), append(r.f.Lines, ls)
	return nil
}

// end checks the last line, the sum of every line before it, and the
// manifest read.
func (r *reader) end(sum string) (*Manifest, error) {
	if want, err := strconv.ParseUint(sum, 16, 32); err != nil || uint32(want) != r.h.Sum32() {
		return nil, r.bad("the manifest is damaged: its checksum does not match")
	}
	if err := r.complete(); err != nil {
		return nil, err
	}
	if err := r.m.Check(); err != nil {
		return nil, err
	}
	return r.m, nil
}
