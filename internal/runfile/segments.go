// Segments, runs inside files or in memory: opening them, merging them
// a bounded number at a time into fewer, and spills.

package runfile

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"mapreduce/internal/atomicfile"
)

// A Segment is one run stored at Off, Size bytes long, in the file at
// Path: a whole run file (Off 0), or one run of several in a file, as a
// reducer stores the runs one batch from one owner brought. A small one
// may be held in memory instead: then Data holds the bytes Off is into,
// and Path is "". A text run (textrun.go) is the text at Path, whole,
// with its lengths file at Lens. A segment may also be several runs of
// one map task's partition (groups.go), each at its extent in Runs; then
// Size counts their bytes (and a fetched run list's header), for the
// bytes read, and Off says nothing.
type Segment struct {
	Path      string
	Off, Size int64
	Data      []byte
	Lens      string
	Runs      []Extent
	// Summed: CRC is the CRC-32C of the segment's Size bytes, known as
	// they were written (WriteSpill), so that sending them needs no pass
	// to sum them.
	CRC    uint32
	Summed bool
}

// Expand returns segs with each segment of several runs replaced by one
// per run, in order.
func Expand(segs []Segment) []Segment {
	n := 0
	for _, s := range segs {
		n += max(len(s.Runs), 1)
	}
	if n == len(segs) {
		return segs
	}
	out := make([]Segment, 0, n)
	for _, s := range segs {
		if len(s.Runs) == 0 {
			out = append(out, s)
			continue
		}
		for _, e := range s.Runs {
			out = append(out, Segment{Path: s.Path, Off: e.Off, Size: e.Size, Data: s.Data})
		}
	}
	return out
}

// wholeFile is the segment of a run file that holds just one run.
func wholeFile(path string) (Segment, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Segment{}, err
	}
	return Segment{Path: path, Size: st.Size()}, nil
}

// OpenSegments opens runs for reading, each file once however many runs
// it holds; closeAll closes them. On error nothing is left open.
func OpenSegments(segs []Segment) (runs []*Reader, closeAll func(), err error) {
	segs = Expand(segs)
	files := make(map[string]*os.File)
	closeAll = func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(path string) (*os.File, error) {
		f := files[path]
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				return nil, err
			}
			files[path] = f
		}
		return f, nil
	}
	for _, s := range segs {
		if s.Path == "" {
			if s.Off < 0 || s.Size < 0 || s.Off+s.Size > int64(len(s.Data)) {
				closeAll()
				return nil, nil, fmt.Errorf("runfile: a segment of %d bytes at %d of %d in memory", s.Size, s.Off, len(s.Data))
			}
			runs = append(runs, NewReader(bytes.NewReader(s.Data[s.Off:s.Off+s.Size]), s.Size))
			continue
		}
		f, err := open(s.Path)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		if s.Lens == "" {
			runs = append(runs, NewReader(io.NewSectionReader(f, s.Off, s.Size), s.Size))
			continue
		}
		lens, err := open(s.Lens)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		runs = append(runs, NewTextReader(io.NewSectionReader(f, s.Off, s.Size), s.Size, io.NewSectionReader(lens, 0, math.MaxInt64)))
	}
	return runs, closeAll, nil
}

// MergeSegments merges runs, up to fanIn at a time and in order, into
// fewer runs in dir until at most fanIn are left, so that the final merge
// never reads more than fanIn runs at once. A pass merges only as many
// runs as it must (85 runs at a fan-in of 64: the first 22 into one), not
// all of them. Order is kept: equal keys stay in run order. It returns
// the runs left, some of them the inputs.
func MergeSegments(segs []Segment, fanIn int, dir string) ([]Segment, error) {
	segs = Expand(segs)
	if len(segs) > fanIn {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	for pass := 0; len(segs) > fanIn; pass++ {
		var next []Segment
		excess, i := len(segs)-fanIn, 0 // merging k runs into one removes k-1
		for excess > 0 && len(segs)-i >= 2 {
			k := min(fanIn, excess+1, len(segs)-i)
			out := filepath.Join(dir, fmt.Sprintf("pass-%d-%d.run", pass, len(next)))
			info, err := mergeSegmentsInto(segs[i:i+k], out)
			if err != nil {
				return nil, err
			}
			next = append(next, Segment{Path: out, Size: info.Size})
			i += k
			excess -= k - 1
		}
		segs = append(next, segs[i:]...)
	}
	return segs, nil
}

func mergeSegmentsInto(segs []Segment, out string) (Info, error) {
	runs, closeAll, err := OpenSegments(segs)
	if err != nil {
		return Info{}, err
	}
	defer closeAll()
	return WriteFile(out, func(w *Writer) error { return WriteMerged(w, runs) })
}

// WriteMerged writes the stable merge of runs to w, record by record.
func WriteMerged(w *Writer, runs []*Reader) error {
	m := NewMerger(runs)
	for m.Next() {
		if err := w.WriteBytes(m.Key(), m.Value()); err != nil {
			return err
		}
	}
	return m.Err()
}

// Spill holds what is written to it in memory while it stays within a
// limit, and past it in a file (created only then, visible only once
// committed): small runs cost no file at all.
type Spill struct {
	path  string
	limit int
	buf   []byte
	f     *atomicfile.File
}

// NewSpill makes a Spill that keeps up to limit bytes in memory, and
// writes to a scratch file at path past that.
func NewSpill(path string, limit int) *Spill { return &Spill{path: path, limit: limit} }

func (s *Spill) Write(p []byte) (int, error) {
	if s.f == nil && len(s.buf)+len(p) <= s.limit {
		s.buf = append(s.buf, p...)
		return len(p), nil
	}
	if s.f == nil {
		if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
			return 0, err
		}
		f, err := atomicfile.CreateScratch(s.path)
		if err != nil {
			return 0, err
		}
		s.f = f
		if _, err := f.Write(s.buf); err != nil {
			return 0, err
		}
		s.buf = nil
	}
	return s.f.Write(p)
}

// Commit ends the writing and returns where the bytes are: a segment of
// the file, or of memory, from Off 0 (Size is the caller's to set).
func (s *Spill) Commit() (Segment, error) {
	if s.f == nil {
		return Segment{Data: s.buf}, nil
	}
	return Segment{Path: s.path}, s.f.Commit()
}

// Abort drops what was written.
func (s *Spill) Abort() {
	if s.f != nil {
		s.f.Abort()
	}
	s.buf = nil
}

// WriteSpill is WriteFile into a Spill: a run of at most limit bytes stays
// in memory. It returns where the run is, and its Info.
func WriteSpill(path string, limit int, fill func(*Writer) error) (Segment, Info, error) {
	sp := NewSpill(path, limit)
	defer sp.Abort()
	w := newWriter(sp)
	if err := fill(w); err != nil {
		return Segment{}, Info{}, fmt.Errorf("runfile: writing run %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return Segment{}, Info{}, fmt.Errorf("runfile: writing run %s: %w", path, err)
	}
	seg, err := sp.Commit()
	if err != nil {
		return Segment{}, Info{}, err
	}
	sp.buf = nil // kept by seg
	size, crc := w.written()
	seg.Size, seg.CRC, seg.Summed = size, crc, true
	return seg, Info{Size: size, CRC: crc, Records: w.Count()}, nil
}
