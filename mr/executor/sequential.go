// The sequential reference: an app run over its inputs in one process, as mrsequential does.

package executor

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// Sequential runs app over the input files in one process, the simple
// way, and writes outPath: every key once, sorted, each line "key value".
// It is the reference the distributed job is checked against: the inputs
// are cut as the coordinator cuts them with the same options (opt, with
// WholeFiles if the app exports it), Map is called once per piece, in
// the same order, and values reach Reduce in that order. ref gives the
// job's parameters and shape: the app's Partition is called on every key
// as a job of ref.NReduce reduce tasks calls it, and a map-only job's
// output is Map's records in order (sequentialMapOnly).
func Sequential(app *mr.App, inputs []string, opt input.Options, ref Reference, outPath string) error {
	opt.WholeFiles = opt.WholeFiles || app.WholeFiles
	tasks, _, err := input.Tasks(inputs, opt)
	if err != nil {
		return err
	}
	mr.SetParams(ref.Params)
	defer mr.SetParams(nil)
	if ref.MapOnly {
		return sequentialMapOnly(app, tasks, outPath)
	}
	var all []mr.KeyValue
	emit := func(k, v string) { all = append(all, mr.KeyValue{Key: k, Value: v}) }
	for _, task := range tasks {
		for _, p := range task {
			text, err := readPiece(p)
			if err != nil {
				return err
			}
			if err := callMap(app, p.File, text, emit); err != nil {
				return err
			}
		}
	}
	slices.SortStableFunc(all, func(a, b mr.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	out, err := atomicfile.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	write := lineChecked(func(key, value string) error {
		bw.WriteString(key)
		bw.WriteByte(' ')
		bw.WriteString(value)
		return bw.WriteByte('\n')
	})
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
		if err := reduceKey(app, all[i].Key, values, write); err != nil {
			return err
		}
		i = j
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mr: writing %s: %w", outPath, err)
	}
	return out.Commit()
}

// reduceKey calls the app's reduce function on one key's values, as a
// reducer does, and writes the output lines.
func reduceKey(app *mr.App, key string, values []string, write func(key, value string) error) error {
	if app.ReduceEmit != nil || app.ReduceSeq != nil {
		return reduceSeq(app, key, slices.Values(values), write)
	}
	v, err := callReduce(app.Reduce, key, values)
	if err != nil {
		return err
	}
	return write(key, v)
}

// readPiece reads one piece of an input.
func readPiece(p protocol.Split) (string, error) {
	f, err := os.Open(p.File)
	if err != nil {
		return "", fmt.Errorf("mr: input %s: %w", p.File, unwrapPath(err))
	}
	defer f.Close()
	var b strings.Builder
	b.Grow(int(p.Length))
	n, err := io.Copy(&b, io.NewSectionReader(f, p.Offset, p.Length))
	if err == nil && n != p.Length {
		err = errors.New("the file shrank while it was read")
	}
	if err != nil {
		return "", fmt.Errorf("mr: input %s: bytes [%d, %d): %w", p.File, p.Offset, p.Offset+p.Length, err)
	}
	return b.String(), nil
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
