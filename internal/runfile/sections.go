// A sections file holds n runs back to back, one per reduce partition of
// a map attempt, so that a map attempt writes one file however many
// partitions there are:
//
//	run 0 | run 1 | ... | run n-1 | end offset of each run, uint64 LE (n of them) | n, uint32 LE | "MRS1"
//
// Each run is complete (header, records, trailer with its CRC-32C), so a
// copy of one run verifies itself (VerifyCopy) without anyone having
// recorded its size or CRC.

package runfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"mapreduce/internal/atomicfile"
)

const sectionsMagic = "MRS1"

// errNoSection is a sections file that does not hold the run asked for.
var errNoSection = errors.New("runfile: no such section")

// WriteSections writes n runs through fill, in order, as one sections
// file at path, atomically. It returns each run's Info.
func WriteSections(path string, n int, fill func(r int, w *Writer) error) ([]Info, error) {
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return nil, err
	}
	defer f.Abort()
	infos := make([]Info, n)
	index := make([]byte, 0, 8*n+8)
	var end int64
	for r := range infos {
		w := newWriter(f)
		if err := fill(r, w); err != nil {
			return nil, fmt.Errorf("runfile: writing section %d of %s: %w", r, path, err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("runfile: writing section %d of %s: %w", r, path, err)
		}
		size, crc := w.written()
		infos[r] = Info{Size: size, CRC: crc, Records: w.Count()}
		end += size
		index = binary.LittleEndian.AppendUint64(index, uint64(end))
	}
	index = binary.LittleEndian.AppendUint32(index, uint32(n))
	if _, err := f.Write(append(index, sectionsMagic...)); err != nil {
		return nil, fmt.Errorf("runfile: writing %s: %w", path, err)
	}
	return infos, f.Commit()
}

// An Extent is where one run lies in a file: Size bytes at Off.
type Extent struct{ Off, Size int64 }

// Runs finds partition r's runs in the sections file f of fileSize bytes:
// its one run in a sections file, one per group in a grouped one
// (groups.go), in group order.
func Runs(f io.ReaderAt, fileSize int64, r int) ([]Extent, error) {
	var tail [12]byte
	if fileSize < 8 {
		return nil, fmt.Errorf("%w: %d bytes is no sections file", errNoSection, fileSize)
	}
	tailAt := max(fileSize-12, 0)
	if _, err := f.ReadAt(tail[12-(fileSize-tailAt):], tailAt); err != nil {
		return nil, err
	}
	switch string(tail[8:]) {
	case sectionsMagic:
		off, size, err := section(f, fileSize, int64(binary.LittleEndian.Uint32(tail[4:8])), r)
		if err != nil {
			return nil, err
		}
		return []Extent{{off, size}}, nil
	case groupsMagic:
		n, g := int64(binary.LittleEndian.Uint32(tail[:4])), int64(binary.LittleEndian.Uint32(tail[4:8]))
		return groupRuns(f, fileSize, n, g, r)
	}
	return nil, fmt.Errorf("%w: bad index", errNoSection)
}

// section finds run r of the sections file f of fileSize bytes, which
// says it holds n: where it starts and how long it is.
func section(f io.ReaderAt, fileSize, n int64, r int) (off, size int64, err error) {
	if 8*n+8 > fileSize {
		return 0, 0, fmt.Errorf("%w: bad index", errNoSection)
	}
	if r < 0 || int64(r) >= n {
		return 0, 0, fmt.Errorf("%w: section %d of %d", errNoSection, r, n)
	}
	indexAt := fileSize - 8 - 8*n
	var ends [16]byte
	at, buf := indexAt+8*int64(r)-8, ends[:]
	if r == 0 {
		at, buf = indexAt, ends[8:]
	}
	if _, err := f.ReadAt(buf, at); err != nil {
		return 0, 0, err
	}
	end := int64(binary.LittleEndian.Uint64(ends[8:]))
	if r > 0 {
		off = int64(binary.LittleEndian.Uint64(ends[:8]))
	}
	if off < 0 || end < off || end > indexAt {
		return 0, 0, fmt.Errorf("%w: bad index entry %d", errNoSection, r)
	}
	return off, end - off, nil
}

// VerifyCopy copies a run, or a run list (groups.go), of size bytes from
// src to dst and checks, as it goes, that it is one: for each run, the
// magic, at least the smallest run's length, and the CRC-32C its trailer
// holds over every byte before it. It does not decode the records (the
// merge does, and checks them again). It returns where each run lies in
// what it copied: one extent, or the list's.
func VerifyCopy(dst io.Writer, src io.Reader, size int64) ([]Extent, error) {
	if size < minLen {
		return nil, &CorruptError{Where: "header", Reason: fmt.Sprintf("size %d is below the minimum %d", size, minLen)}
	}
	var head [len(magic)]byte
	if _, err := io.ReadFull(src, head[:]); err != nil {
		return nil, &CorruptError{Where: "header", Reason: "reading magic: " + err.Error(), Err: err}
	}
	if string(head[:]) == listMagic {
		return verifyList(dst, src, size)
	}
	if err := verifyRun(dst, src, size, head); err != nil {
		return nil, err
	}
	return []Extent{{0, size}}, nil
}

// verifyRun is VerifyCopy for one run whose first bytes, head, were read.
func verifyRun(dst io.Writer, src io.Reader, size int64, head [len(magic)]byte) error {
	if string(head[:]) != magic {
		return &CorruptError{Where: "header", Reason: fmt.Sprintf("bad magic %q", head[:])}
	}
	h := crc32.New(table)
	h.Write(head[:])
	if _, err := dst.Write(head[:]); err != nil {
		return err
	}
	body := size - 4 - int64(len(magic))
	n, err := io.Copy(dst, io.TeeReader(io.LimitReader(src, body), h))
	if err == nil && n != body {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return &CorruptError{Where: "body", Reason: "copying: " + err.Error(), Err: err}
	}
	var stored [4]byte
	if _, err := io.ReadFull(src, stored[:]); err != nil {
		return &CorruptError{Where: "trailer", Reason: "reading crc: " + err.Error(), Err: err}
	}
	if got := binary.LittleEndian.Uint32(stored[:]); got != h.Sum32() {
		return &CorruptError{Where: "trailer", Reason: fmt.Sprintf("crc %08x, computed %08x", got, h.Sum32())}
	}
	_, err = dst.Write(stored[:])
	return err
}
