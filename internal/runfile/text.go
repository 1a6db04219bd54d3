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

// MergeText merges the run files at paths by key and writes the records
// to w as text.
func MergeText(paths []string, w io.Writer) error {
	runs, closeAll, err := OpenAll(paths)
	if err != nil {
		return err
	}
	defer closeAll()
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
