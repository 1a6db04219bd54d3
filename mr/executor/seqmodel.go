// The reference's side of the job's shape: parameters, the app's
// Partition, map-only jobs.

package executor

import (
	"bufio"
	"fmt"
	"strings"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// Reference is the job Sequential is the reference of: its parameters
// (mr.Param), its reduce tasks (the app's Partition is checked against
// them) and whether it is map-only.
type Reference struct {
	Params  map[string]string
	NReduce int // 0: the app's Partition is not called
	MapOnly bool
}

// checkPartition calls the app's Partition on key, if it has one, as a
// job of nReduce reduce tasks does: a panic or a result out of range is
// the same error.
func checkPartition(app *mr.App, key string, nReduce int) error {
	if app.Partition == nil || nReduce < 1 {
		return nil
	}
	_, err := callPartition(app.Partition, key, nReduce)
	return err
}

// sequentialMapOnly writes Map's records over the map tasks' pieces, in
// order, one "key value" line each, to outPath: a map-only job's
// mr-<app>-all.
func sequentialMapOnly(app *mr.App, tasks [][]protocol.Split, outPath string) error {
	out, err := atomicfile.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	for _, task := range tasks {
		for _, p := range task {
			text, err := readPiece(p)
			if err != nil {
				return err
			}
			var werr error
			write := mapLineChecked(p.File, func(k, v string) error {
				bw.WriteString(k)
				bw.WriteByte(' ')
				bw.WriteString(v)
				return bw.WriteByte('\n')
			})
			if err := callMap(app, p.File, text, func(k, v string) {
				if werr == nil {
					werr = write(k, v)
				}
			}); err != nil {
				return err
			}
			if werr != nil {
				return werr
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mr: writing %s: %w", outPath, err)
	}
	return out.Commit()
}

// mapLineChecked is lineChecked for a map-only job, whose output lines
// are Map's records of the input name: a key or value holding a newline
// is refused as the app's failure, naming the key.
func mapLineChecked(name string, write func(key, value string) error) func(key, value string) error {
	return func(key, value string) error {
		if strings.IndexByte(key, '\n') >= 0 || strings.IndexByte(value, '\n') >= 0 {
			return &AppError{fmt.Sprintf("Map(%s) emitted the key %s with a newline in it or in its value: a map-only job's "+
				"output line is \"key value\" and must stay one line (escape it, e.g. with strconv.Quote)", name, quoteKey(key))}
		}
		return write(key, value)
	}
}
