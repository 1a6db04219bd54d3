// A grouped sections file holds g groups of n runs, each group one run per
// partition, as a sections file's runs are, the groups back to back: a
// map task's spills and its last buffer, written one group at a time and
// shipped as they are rather than merged into one run per partition.
// Partition r is run r of every group, in group order; a reducer merges
// them as runs of their own, stably, so a key's values keep the order in
// which they were spilled:
//
//	group 0 | ... | group g-1 | end offset of each run, group by group, uint64 LE (g*n) | n, uint32 LE | g, uint32 LE | "MRS2"
//
// A partition of several runs travels as a run list, which VerifyCopy
// checks run by run:
//
//	"MRL1" | k, uint32 LE | size of each run, uint64 LE (k of them) | run 0 | ... | run k-1

package runfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"mapreduce/internal/atomicfile"
)

const (
	groupsMagic = "MRS2"
	listMagic   = "MRL1"
	// MaxGroups bounds the groups of a grouped sections file, and the
	// runs of a list: a reader allocates nothing larger than 8 bytes per
	// run a sender claims, and never more than this many.
	MaxGroups = 1024
)

// errTooManyGroups is a grouped sections file asked for one group more
// than MaxGroups.
var errTooManyGroups = errors.New("runfile: too many groups")

// Groups writes a grouped sections file, one group at a time.
type Groups struct {
	f    *atomicfile.File
	n    int
	ends []int64 // the end of each run written, group by group
	err  error   // sticky: the first failure
}

// CreateGroups starts a grouped sections file of n runs per group, a
// scratch file until CommitAt publishes it.
func CreateGroups(path string, n int) (*Groups, error) {
	if n < 1 {
		return nil, fmt.Errorf("runfile: %d runs per group", n)
	}
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return nil, err
	}
	return &Groups{f: f, n: n}, nil
}

// Add writes one group: its n runs through fill, in order. It returns
// each run's Info. After a failure the file is unusable.
func (g *Groups) Add(fill func(r int, w *Writer) error) ([]Info, error) {
	if g.err == nil && g.Len() >= MaxGroups {
		g.err = errTooManyGroups
	}
	if g.err != nil {
		return nil, g.err
	}
	infos := make([]Info, g.n)
	end := g.end()
	for r := range infos {
		w := newWriter(g.f)
		err := fill(r, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			g.err = fmt.Errorf("runfile: writing run %d of group %d of %s: %w", r, g.Len(), g.f.Name(), err)
			return nil, g.err
		}
		size, crc := w.written()
		infos[r] = Info{Size: size, CRC: crc, Records: w.Count()}
		end += size
		g.ends = append(g.ends, end)
	}
	return infos, nil
}

// Len is the number of groups written.
func (g *Groups) Len() int { return len(g.ends) / g.n }

// end is where the next run starts.
func (g *Groups) end() int64 {
	if len(g.ends) == 0 {
		return 0
	}
	return g.ends[len(g.ends)-1]
}

// Run is where run r of group k lies.
func (g *Groups) Run(k, r int) Extent {
	i := k*g.n + r
	var start int64
	if i > 0 {
		start = g.ends[i-1]
	}
	return Extent{start, g.ends[i] - start}
}

// File is the file being written, to read its runs back (ReadAt).
func (g *Groups) File() *os.File { return g.f.File }

// Readers returns a reader of run r of each group written, in order.
func (g *Groups) Readers(r int) []*Reader {
	readers := make([]*Reader, g.Len())
	for k := range readers {
		run := g.Run(k, r)
		readers[k] = NewReader(io.NewSectionReader(g.f.File, run.Off, run.Size), run.Size)
	}
	return readers
}

// CommitAt writes the index and publishes the file at path, which must be
// on the same file system as the path it was created for; it returns the
// file's size.
func (g *Groups) CommitAt(path string) (int64, error) {
	if g.err != nil {
		return 0, g.err
	}
	index := make([]byte, 0, 8*len(g.ends)+12)
	for _, end := range g.ends {
		index = binary.LittleEndian.AppendUint64(index, uint64(end))
	}
	index = binary.LittleEndian.AppendUint32(index, uint32(g.n))
	index = binary.LittleEndian.AppendUint32(index, uint32(g.Len()))
	index = append(index, groupsMagic...)
	if _, err := g.f.Write(index); err != nil {
		return 0, fmt.Errorf("runfile: writing %s: %w", g.f.Name(), err)
	}
	return g.end() + int64(len(index)), g.f.CommitAt(path)
}

// Abort drops the file.
func (g *Groups) Abort() { g.f.Abort() }

// groupRuns finds partition r's runs in the grouped sections file f of
// fileSize bytes, which says it holds g groups of n runs.
func groupRuns(f io.ReaderAt, fileSize, n, g int64, r int) ([]Extent, error) {
	if n < 1 || g < 1 || g > MaxGroups || 8*n*g+12 > fileSize {
		return nil, fmt.Errorf("%w: bad index", errNoSection)
	}
	if r < 0 || int64(r) >= n {
		return nil, fmt.Errorf("%w: section %d of %d", errNoSection, r, n)
	}
	indexAt := fileSize - 12 - 8*n*g
	runs := make([]Extent, g)
	var ends [16]byte
	for k := range g {
		i := k*n + int64(r) // run r of group k ends at entry i, starts where entry i-1 ends
		at, buf := indexAt+8*(i-1), ends[:]
		if i == 0 {
			at, buf = indexAt, ends[8:]
		}
		if _, err := f.ReadAt(buf, at); err != nil {
			return nil, err
		}
		var start int64
		if i > 0 {
			start = int64(binary.LittleEndian.Uint64(ends[:8]))
		}
		end := int64(binary.LittleEndian.Uint64(ends[8:]))
		if start < 0 || end < start || end > indexAt {
			return nil, fmt.Errorf("%w: bad index entry %d", errNoSection, i)
		}
		runs[k] = Extent{start, end - start}
	}
	return runs, nil
}

// ListHeader is the header of a run list of runs of the given sizes, to
// send before them.
func ListHeader(sizes []int64) []byte {
	h := binary.LittleEndian.AppendUint32([]byte(listMagic), uint32(len(sizes)))
	for _, s := range sizes {
		h = binary.LittleEndian.AppendUint64(h, uint64(s))
	}
	return h
}

// ListSize is the size of a run list of runs of the given sizes.
func ListSize(sizes []int64) int64 {
	n := int64(len(listMagic) + 4 + 8*len(sizes))
	for _, s := range sizes {
		n += s
	}
	return n
}

// verifyList is VerifyCopy for a run list of size bytes whose magic was
// read: its header, then each run.
func verifyList(dst io.Writer, src io.Reader, size int64) ([]Extent, error) {
	var count [4]byte
	if _, err := io.ReadFull(src, count[:]); err != nil {
		return nil, &CorruptError{Where: "list", Reason: "reading count: " + err.Error(), Err: err}
	}
	k := int64(binary.LittleEndian.Uint32(count[:]))
	head := int64(len(listMagic)+4) + 8*k
	if k < 1 || k > MaxGroups || head+k*minLen > size {
		return nil, &CorruptError{Where: "list", Reason: fmt.Sprintf("%d runs in %d bytes", k, size)}
	}
	sizes := make([]byte, 8*k)
	if _, err := io.ReadFull(src, sizes); err != nil {
		return nil, &CorruptError{Where: "list", Reason: "reading sizes: " + err.Error(), Err: err}
	}
	runs := make([]Extent, k)
	off := head
	for i := range runs {
		s := int64(binary.LittleEndian.Uint64(sizes[8*i:]))
		if s < minLen || s > size-off {
			return nil, &CorruptError{Where: "list", Reason: fmt.Sprintf("run %d of %d bytes at %d of %d", i, s, off, size)}
		}
		runs[i] = Extent{off, s}
		off += s
	}
	if off != size {
		return nil, &CorruptError{Where: "list", Reason: fmt.Sprintf("runs of %d bytes in %d", off-head, size-head)}
	}
	if _, err := dst.Write(append(append([]byte(listMagic), count[:]...), sizes...)); err != nil {
		return nil, err
	}
	for i, run := range runs {
		var m [len(magic)]byte
		if _, err := io.ReadFull(src, m[:]); err != nil {
			return nil, &CorruptError{Where: fmt.Sprintf("list run %d", i), Reason: "reading magic: " + err.Error(), Err: err}
		}
		if err := verifyRun(dst, src, run.Size, m); err != nil {
			return nil, err
		}
	}
	return runs, nil
}
