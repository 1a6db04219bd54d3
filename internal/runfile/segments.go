package runfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A Segment is one run stored at Off, Size bytes long, in the file at
// Path: a whole run file (Off 0), or one run of several in a file, as a
// reducer stores the runs one batch from one owner brought.
type Segment struct {
	Path      string
	Off, Size int64
}

// WholeFile is the segment of a run file that holds just one run.
func WholeFile(path string) (Segment, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Segment{}, err
	}
	return Segment{Path: path, Size: st.Size()}, nil
}

// OpenSegments opens runs for reading, each file once however many runs
// it holds; closeAll closes them. On error nothing is left open.
func OpenSegments(segs []Segment) (runs []*Reader, closeAll func(), err error) {
	files := make(map[string]*os.File)
	closeAll = func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, s := range segs {
		f := files[s.Path]
		if f == nil {
			if f, err = os.Open(s.Path); err != nil {
				closeAll()
				return nil, nil, err
			}
			files[s.Path] = f
		}
		runs = append(runs, NewReader(io.NewSectionReader(f, s.Off, s.Size), s.Size))
	}
	return runs, closeAll, nil
}

// MergeSegments merges runs, fanIn at a time and in order, into fewer
// runs in dir until at most fanIn are left, so that the final merge never
// reads more than fanIn runs at once. Order is kept: equal keys stay in
// run order. It returns the runs left, some of them the inputs.
func MergeSegments(segs []Segment, fanIn int, dir string) ([]Segment, error) {
	for pass := 0; len(segs) > fanIn; pass++ {
		var next []Segment
		for i := 0; i < len(segs); i += fanIn {
			out := filepath.Join(dir, fmt.Sprintf("pass-%d-%d.run", pass, len(next)))
			info, err := mergeSegmentsInto(segs[i:min(i+fanIn, len(segs))], out)
			if err != nil {
				return nil, err
			}
			next = append(next, Segment{Path: out, Size: info.Size})
		}
		segs = next
	}
	return segs, nil
}

func mergeSegmentsInto(segs []Segment, out string) (Info, error) {
	runs, closeAll, err := OpenSegments(segs)
	if err != nil {
		return Info{}, err
	}
	defer closeAll()
	return WriteFile(out, func(w *Writer) error {
		m := NewMerger(runs)
		for m.Next() {
			if err := w.WriteBytes(m.Key(), m.Value()); err != nil {
				return err
			}
		}
		return m.Err()
	})
}
