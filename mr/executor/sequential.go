package executor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"mapreduce/internal/atomicfile"
	"mapreduce/mr"
)

// Sequential runs app over the inputs in one process, the simple way,
// and writes outPath: every key once, sorted, each line "key value".
// It is the reference the distributed job is checked against: Map sees
// each whole file, values reach Reduce in input order. ref gives the
// job's parameters and shape: the app's Partition is called on every key
// as a job of ref.NReduce reduce tasks calls it, and a map-only job's
// output is Map's records in order (sequentialMapOnly).
func Sequential(app *mr.App, inputs []string, ref Reference, outPath string) error {
	mr.SetParams(ref.Params)
	if ref.MapOnly {
		return sequentialMapOnly(app, inputs, outPath)
	}
	var all []mr.KeyValue
	for _, name := range inputs {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
		}
		emit := func(k, v string) { all = append(all, mr.KeyValue{Key: k, Value: v}) }
		if err := callMap(app, name, string(b), emit); err != nil {
			return err
		}
	}
	slices.SortStableFunc(all, func(a, b mr.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	out, err := atomicfile.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	var values []string
	for i := 0; i < len(all); {
		j := i
		values = values[:0]
		for ; j < len(all) && all[j].Key == all[i].Key; j++ {
			values = append(values, all[j].Value)
		}
		if err := checkPartition(app, all[i].Key, ref.NReduce); err != nil {
			return err
		}
		var out string
		var err error
		if app.ReduceSeq != nil {
			out, err = callReduceSeq(app.ReduceSeq, all[i].Key, slices.Values(values))
		} else {
			out, err = callReduce(app.Reduce, all[i].Key, values)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "%v %v\n", all[i].Key, out)
		i = j
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mr: writing %s: %w", outPath, err)
	}
	return out.Commit()
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
