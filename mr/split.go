package mr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// makeSplits cuts the inputs into line-aligned byte ranges, one map task
// each, in input order. A file no larger than size is one split (an empty
// file too: Map still sees its name). A larger file is cut at the first
// line end at or after every size bytes, so each split holds whole lines,
// a line longer than size stays whole, and no byte is in two splits.
// Every input must be a readable regular file.
func makeSplits(inputs []string, size int64) ([]Split, error) {
	var splits []Split
	for _, name := range inputs {
		s, err := splitFile(name, size)
		if err != nil {
			return nil, err
		}
		splits = append(splits, s...)
	}
	return splits, nil
}

func splitFile(name string, size int64) ([]Split, error) {
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
	var splits []Split
	for start := int64(0); start < total || len(splits) == 0; {
		end := total
		if start+size < total {
			if end, err = lineEnd(f, start+size-1, total); err != nil {
				return nil, fmt.Errorf("mr: input %s: %w", name, err)
			}
		}
		splits = append(splits, Split{File: name, Offset: start, Length: end - start})
		start = end
	}
	return splits, nil
}

// lineEnd returns the offset just past the first '\n' at or after off,
// or total if there is none.
func lineEnd(f *os.File, off, total int64) (int64, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, off, total-off), 64<<10)
	for pos := off; ; {
		chunk, err := r.ReadSlice('\n')
		pos += int64(len(chunk))
		switch {
		case err == nil:
			return pos, nil
		case err == io.EOF:
			return total, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return 0, err
		}
	}
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
