package coordinator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"mapreduce/internal/protocol"
)

// makeSplits cuts the inputs into line-aligned byte ranges, one map task
// each, in input order. A file no larger than size is one split (an empty
// file too: Map still sees its name). A larger file is cut at the first
// line end at or after every size bytes, so each split holds whole lines,
// a line longer than size stays whole, and no byte is in two splits.
// Every input must be a readable regular file.
func makeSplits(inputs []string, size int64) ([]protocol.Split, error) {
	var splits []protocol.Split
	for _, name := range inputs {
		s, err := splitFile(name, size)
		if err != nil {
			return nil, err
		}
		splits = append(splits, s...)
	}
	return splits, nil
}

func splitFile(name string, size int64) ([]protocol.Split, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("mr: input %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("mr: input %s: not a regular file", name)
	}
	if _, err := f.Read(make([]byte, 1)); err != nil && err != io.EOF {
		return nil, fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
	}
	total := st.Size()
	var splits []protocol.Split
	buf := make([]byte, 4096)
	for start := int64(0); start < total || len(splits) == 0; {
		end := total
		if start+size < total {
			if end, err = lineEnd(f, start+size-1, total, buf); err != nil {
				return nil, fmt.Errorf("mr: input %s: %w", name, err)
			}
		}
		splits = append(splits, protocol.Split{File: name, Offset: start, Length: end - start})
		start = end
	}
	return splits, nil
}

// lineEnd returns the offset just past the first '\n' at or after off,
// or total if there is none. buf is scratch space.
func lineEnd(f *os.File, off, total int64, buf []byte) (int64, error) {
	for off < total {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), total-off)], off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break // the file shrank under us
		}
		off += int64(n)
	}
	return total, nil
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// splitFiles lists each split's input file, as named on the command line.
func splitFiles(splits []protocol.Split) []string {
	files := make([]string, len(splits))
	for i, sp := range splits {
		files[i] = sp.File
	}
	return files
}
