package manifest

// The manifest's file format (see the package comment): text, one record
// a line, closed by the CRC-32C of everything before its last line, so
// that a torn or damaged manifest is refused rather than half used.

import (
	"bufio"
	"errors"
	"fmt"
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
	h := crc32.New(table)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
	}
	bad := func(what string) error { return fmt.Errorf("mr: manifest line %d: %s", line, what) }
	if l, ok := next(); !ok || l != magic {
		return nil, errors.New("mr: not a manifest (written by mrmanifest): the first line is not \"" + magic + "\"")
	}
	h.Write([]byte(magic + "\n"))
	m := &Manifest{}
	l, _ := next()
	if _, err := fmt.Sscanf(l, "block-size %d", &m.BlockSize); err != nil {
		return nil, bad("want block-size N")
	}
	h.Write([]byte(l + "\n"))
	blocks := 0
	var f *File
	for {
		l, ok := next()
		if !ok {
			break
		}
		if sum, isSum := strings.CutPrefix(l, "sum "); isSum {
			if want, err := strconv.ParseUint(sum, 16, 32); err != nil || uint32(want) != h.Sum32() {
				return nil, bad("the manifest is damaged: its checksum does not match")
			}
			if f != nil && len(f.Sums) != Blocks(f.Size, m.BlockSize) {
				return nil, bad("the last file lacks blocks")
			}
			return m, m.Check()
		}
		h.Write([]byte(l + "\n"))
		if rest, isFile := strings.CutPrefix(l, "file "); isFile {
			if f != nil && len(f.Sums) != Blocks(f.Size, m.BlockSize) {
				return nil, bad(fmt.Sprintf("file %s lacks blocks", f.Name))
			}
			size, name, _ := strings.Cut(rest, " ")
			n, err := strconv.ParseInt(size, 10, 64)
			if err != nil || n < 0 || len(m.Files) >= MaxFiles || m.BlockSize < MinBlockSize {
				return nil, bad("want file SIZE NAME")
			}
			m.Files = append(m.Files, File{Name: name, Size: n})
			f = &m.Files[len(m.Files)-1]
			continue
		}
		var sum uint32
		var ls int64
		if _, err := fmt.Sscanf(l, "%08x %d", &sum, &ls); err != nil || f == nil || len(f.Sums) >= Blocks(f.Size, m.BlockSize) {
			return nil, bad("want CRC LINESTART of a block of the file above")
		}
		if blocks++; blocks > MaxBlocks {
			return nil, bad(fmt.Sprintf("more than %d blocks", MaxBlocks))
		}
		f.Sums, f.Lines = append(f.Sums, sum), append(f.Lines, ls)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mr: manifest line %d: %w", line+1, err)
	}
	return nil, errors.New("mr: the manifest is cut short: its last line (sum) is missing")
}
