package runfile

import (
	"bufio"
	"io"
)

// The text form of a run is one line per record, "key value\n": the
// format of mr-out-* and of mrsequential's output.

// WriteText writes the records of the run file at path to w as text.
func WriteText(path string, w io.Writer) error {
	return MergeText([]string{path}, w)
}

// WriteTextSegment writes the records of the run seg (in a file or in
// memory) to w as text.
func WriteTextSegment(seg Segment, w io.Writer) error {
	runs, closeAll, err := OpenSegments([]Segment{seg})
	if err != nil {
		return err
	}
	defer closeAll()
	return writeText(runs, w)
}

// MergeTextSegments merges runs, in files (Size -1: the whole file) or
// in memory, by key and writes the records to w as text.
func MergeTextSegments(segs []Segment, w io.Writer) error {
	for i, s := range segs {
		if s.Path != "" && s.Size < 0 {
			whole, err := WholeFile(s.Path)
			if err != nil {
				return err
			}
			segs[i] = whole
		}
	}
	runs, closeAll, err := OpenSegments(segs)
	if err != nil {
		return err
	}
	defer closeAll()
	return writeText(runs, w)
}

// MergeText merges the run files at paths by key and writes the records
// to w as text.
func MergeText(paths []string, w io.Writer) error {
	runs, closeAll, err := OpenAll(paths)
	if err != nil {
		return err
	}
	defer closeAll()
	return writeText(runs, w)
}

// writeText merges runs by key and writes the records to w as text.
func writeText(runs []*Reader, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	m := NewMerger(runs)
	for m.Next() {
		bw.Write(m.Key())
		bw.WriteByte(' ')
		bw.Write(m.Value())
		bw.WriteByte('\n')
	}
	if err := m.Err(); err != nil {
		return err
	}
	return bw.Flush()
}
