// split.go: a map task's input, as the status page and the summary name
// it, and its size. The cutting itself is internal/input's.

package coordinator

import (
	"fmt"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
)

// taskInput describes a map task's input for people: "a.txt", "big.txt
// [0, 67108864)" for a piece of a larger file, "a.txt … z.txt (40 files)".
func taskInput(pieces []protocol.Split, files map[string]input.File) string {
	first := pieces[0]
	switch {
	case len(pieces) > 1:
		return fmt.Sprintf("%s … %s (%d files)", first.File, pieces[len(pieces)-1].File, len(pieces))
	case first.Offset == 0 && first.Length == files[first.File].Size:
		return first.File
	}
	return fmt.Sprintf("%s [%d, %d)", first.File, first.Offset, first.Offset+first.Length)
}

// taskSize is the bytes of a map task's input.
func taskSize(pieces []protocol.Split) int64 {
	var n int64
	for _, p := range pieces {
		n += p.Length
	}
	return n
}

// cutInput is an input the job cut into several splits, "" if none.
func cutInput(tasks [][]protocol.Split) string {
	for _, t := range tasks {
		if t[0].Offset > 0 {
			return t[0].File
		}
	}
	return ""
}
