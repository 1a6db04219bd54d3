// Package runfile is the engine's on-disk and on-wire format for sorted
// runs of intermediate records, and the merging of such runs. It imports
// nothing of the engine.
//
// A run file holds one sorted run:
//
//	header:  the 4 bytes "MRR1"
//	records: uvarint(len(key)+1) key uvarint(len(value)) value   (repeated)
//	end:     the single byte 0x00 (uvarint 0)
//	trailer: record count as uint64 little-endian, then the CRC-32C
//	         (Castagnoli) as uint32 little-endian of every byte before it
//
// Nothing may follow the trailer. Varints must be in their shortest form, so
// a run that decodes cleanly re-encodes to exactly the same bytes.
//
// Writer and WriteFile produce runs; Reader decodes and verifies one;
// Merger merges several stably; GroupByKey walks a merge one key at a
// time; MergeSegments bounds how many runs a merge reads at once (a
// Segment is a run inside a file); WriteSections packs one run per reduce
// task into one file, Groups one per reduce task and spill (groups.go);
// WriteTextSegment and MergeTextSegments turn runs into the "key value"
// text of outputs.
package runfile

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"mapreduce/internal/atomicfile"
)

const (
	magic      = "MRR1"
	trailerLen = 1 + 8 + 4                      // end marker, count, CRC
	minLen     = int64(len(magic) + trailerLen) // an empty run
	bufSize    = 64 << 10
	maxRecord  = 64 << 20 // cap on a key or value, on write and on read
)

var (
	// ErrCorrupt matches every error a Reader reports (a *CorruptError):
	// bad header, truncation, impossible lengths, count or CRC mismatch,
	// trailing bytes, and failures of the underlying reader. Test with
	// errors.Is.
	ErrCorrupt = errors.New("runfile: corrupt run file")

	// errClosed is returned by a Writer used after Close.
	errClosed = errors.New("runfile: write to closed run writer")
)

// table is the CRC-32C (Castagnoli) table used for run files and their checksums.
var table = crc32.MakeTable(crc32.Castagnoli)

// NewHash returns a CRC-32C hash, the checksum of run files and of the
// transfers that carry them.
func NewHash() hash.Hash32 { return crc32.New(table) }

// CorruptError is a run that failed to decode or verify: where in the run
// (the header, record N or the trailer), why, and the read error if the
// underlying reader failed.
type CorruptError struct {
	Where  string // "header", "record 3", "trailer"
	Reason string
	Err    error // the underlying read error, or nil
}

func (e *CorruptError) Error() string {
	return ErrCorrupt.Error() + ": " + e.Where + ": " + e.Reason
}

// Is makes every CorruptError match ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func (e *CorruptError) Unwrap() error { return e.Err }

// Info describes a complete run file: its size and the CRC-32C of all its
// bytes, as a peer verifies a copy, and its record count.
type Info struct {
	Size    int64
	CRC     uint32
	Records int64
}

// WriteFile writes a run file at path through fill, atomically: it
// appears complete or not at all. fill must write records in key order.
// The result has the size and CRC-32C of the whole file's bytes, which
// peers use to verify a fetched copy. Run files die with their worker, so
// they are not fsynced.
func WriteFile(path string, fill func(*Writer) error) (Info, error) {
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Abort()
	w := newWriter(f)
	if err := fill(w); err != nil {
		return Info{}, fmt.Errorf("runfile: writing run %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return Info{}, fmt.Errorf("runfile: writing run %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return Info{}, err
	}
	size, crc := w.written()
	return Info{Size: size, CRC: crc, Records: w.Count()}, nil
}

// Checksum returns the size and CRC-32C of all bytes of the file at path.
func Checksum(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("runfile: checksumming run: %w", err)
	}
	defer f.Close()
	h := crc32.New(table)
	n, err := io.CopyBuffer(h, f, make([]byte, bufSize))
	if err != nil {
		return 0, 0, fmt.Errorf("runfile: checksumming %s: %w", path, err)
	}
	return n, h.Sum32(), nil
}
