package runfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// OpenAll opens run files for reading, each sized by stat; closeAll
// closes them. On error nothing is left open.
func OpenAll(paths []string) (runs []*Reader, closeAll func(), err error) {
	var files []*os.File
	closeAll = func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		runs = append(runs, NewReader(f, st.Size()))
	}
	return runs, closeAll, nil
}

// MergePasses merges runs, fanIn at a time and in order, into fewer runs
// in dir until at most fanIn are left, so that the final merge never holds
// more than fanIn files open. Order is kept: equal keys stay in run order.
// It returns the paths of the runs left, some of them the inputs.
func MergePasses(paths []string, fanIn int, dir string) ([]string, error) {
	for pass := 0; len(paths) > fanIn; pass++ {
		var next []string
		for i := 0; i < len(paths); i += fanIn {
			batch := paths[i:min(i+fanIn, len(paths))]
			out := filepath.Join(dir, fmt.Sprintf("pass-%d-%d.run", pass, len(next)))
			if err := MergeFiles(batch, out); err != nil {
				return nil, err
			}
			next = append(next, out)
		}
		paths = next
	}
	return paths, nil
}

// MergeFiles merges sorted run files into one new run file at out.
func MergeFiles(paths []string, out string) error {
	runs, closeAll, err := OpenAll(paths)
	if err != nil {
		return err
	}
	defer closeAll()
	_, err = WriteFile(out, func(w *Writer) error {
		m := NewMerger(runs)
		for m.Next() {
			if err := w.WriteBytes(m.Key(), m.Value()); err != nil {
				return err
			}
		}
		return m.Err()
	})
	return err
}
