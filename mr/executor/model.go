// What the job's shape adds to an attempt: the app's Partition or a total
// order's ranges on the map side, and the map attempt of a map-only job,
// whose records, in the order Map emitted them, are its output.

package executor

import (
	"path/filepath"

	"mapreduce/internal/mapside"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// partitioner is how a map attempt sends keys to reduce tasks: by a
// total order's cut points, else by the app's Partition, else (nil) by
// the engine's hash.
func partitioner(app *mr.App, cuts []string) mapside.Partitioner {
	switch {
	case cuts != nil:
		return mapside.Ranges(cuts)
	case app.Partition != nil:
		return func(key string, n int) (int, error) { return callPartition(app.Partition, key, n) }
	}
	return nil
}

// mapOnlyTask calls Map over the split and writes its records, in the
// order emitted, as one run: in memory if small, else in the scratch
// directory.
func mapOnlyTask(app *mr.App, t *Task, m *meter, cnt *protocol.Counters) (runfile.Segment, error) {
	collectBeforeSplit(t)
	sp, err := readSplit(t)
	if err != nil {
		return runfile.Segment{}, err
	}
	defer sp.close() // mapInputs closes it; this, if it is not called
	cnt.MapInputBytes = int64(len(sp.text))
	path := filepath.Join(t.Scratch, "out.run")
	seg, info, err := runfile.WriteSpill(path, inlineOutput, func(out *runfile.Writer) error {
		var werr error
		emit := func(key, value string) {
			if werr == nil {
				m.bytes.Add(int64(len(key) + len(value) + 1))
				werr = mapLineChecked(t.Inputs[m.input.Load()].Name, out.Write)(key, value)
			}
		}
		if err := mapInputs(mapperOf(app, t, m), t.Inputs, sp, m, cnt, emit); err != nil {
			return err
		}
		return werr
	})
	cnt.MapOutputRecords, cnt.MapOutputBytes = info.Records, seg.Size
	return seg, err
}

// MapKeys calls app's Map over text, the input name's, with the job's
// parameters, handing keep every key it emits: a total order's sample.
// A panic of Map is an *AppError.
func MapKeys(app *mr.App, params map[string]string, name, text string, keep func(key string)) error {
	mr.SetParams(params)
	defer mr.SetParams(nil)
	return callMap(app, name, text, func(k, _ string) { keep(k) })
}
