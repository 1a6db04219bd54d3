package runfile

import (
	"os"
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
