package executor

// The reference's side of the job's shape: parameters, the app's
// Partition, map-only jobs.

import (
	"bufio"
	"fmt"
	"os"

	"mapreduce/internal/atomicfile"
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

// sequentialMapOnly writes Map's records over the inputs, in order, one
// "key value" line each, to outPath: a map-only job's mr-<app>-all.
func sequentialMapOnly(app *mr.App, inputs []string, outPath string) error {
	out, err := atomicfile.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	emit := func(k, v string) { fmt.Fprintf(bw, "%v %v\n", k, v) }
	for _, name := range inputs {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
		}
		if err := callMap(app, name, string(b), emit); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mr: writing %s: %w", outPath, err)
	}
	return out.Commit()
}
