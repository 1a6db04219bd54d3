package mapside

import (
	"encoding/binary"
	"errors"
	"math"
	"os"

	"mapreduce/internal/runfile"
)

// Spills. A map output that outgrows its buffer writes it as one sorted
// run file per partition, and merges the spills into the final run files
// at the end. A spill is a run file of its own kind: each record holds a
// run of n equal values of its key, as the value uvarint(n) followed by
// the value, so that a word count without a combiner spills one record
// per key instead of one per occurrence.

// errBadSpill is a spill record whose count does not decode.
var errBadSpill = errors.New("mapside: spill record without a valid count")

// spill writes the buffer as one sorted run per partition and empties it.
func (o *Output) spill() error {
	for r, part := range o.gs.partitions(o.nReduce, &o.sorter) {
		info, err := runfile.WriteFile(o.spillTo(o.spills, r), o.writeGroups(part, true))
		if err != nil {
			return err
		}
		o.spilled += info.Records
	}
	o.spills++
	o.empty()
	return nil
}

// putSpill writes a run of n values v of key to a spill as one record.
func (o *Output) putSpill(w *runfile.Writer, key, v string, n int) error {
	if n <= 0 {
		return nil
	}
	o.spillKey = append(o.spillKey[:0], key...)
	o.spillValue = binary.AppendUvarint(o.spillValue[:0], uint64(n))
	o.spillValue = append(o.spillValue, v...)
	return w.WriteBytes(o.spillKey, o.spillValue)
}

// spillRun decodes the value of a spill record: a run of n values v.
func spillRun[S string | []byte](value S) (n int, v S, err error) {
	var x uint64
	for i := 0; i < len(value) && i < binary.MaxVarintLen32; i++ {
		x |= uint64(value[i]&0x7f) << (7 * i)
		if value[i] < 0x80 {
			if x > math.MaxUint32 {
				break
			}
			return int(x), value[i+1:], nil
		}
	}
	return 0, value, errBadSpill
}

// mergeSpills merges partition r's spills into w, combining each key's
// values from all spills once more.
func (o *Output) mergeSpills(r int, w *runfile.Writer) error {
	readers := make([]*runfile.Reader, o.spills)
	for k := range readers {
		f, err := os.Open(o.spillTo(k, r))
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		readers[k] = runfile.NewReader(f, st.Size())
	}
	m := runfile.NewMerger(readers)
	if o.combine == nil {
		return expandSpills(m, w)
	}
	return runfile.GroupByKey(m, func(key string, values []string) error {
		return o.combineSpilled(sink{w: w}, key, values)
	})
}

// combineSpilled passes one key's runs from all spills through Combine
// to s.
func (o *Output) combineSpilled(s sink, key string, values []string) error {
	var err error
	for i := 0; err == nil && i < len(values); i++ {
		var n int
		var v string
		if n, v, err = spillRun(values[i]); err == nil {
			err = o.combineAdd(s, key, v, n)
		}
	}
	return o.combineEnd(s, key, err)
}

// expandSpills writes the runs of the merged spills as records.
func expandSpills(m *runfile.Merger, w *runfile.Writer) error {
	for m.Next() {
		n, v, err := spillRun(m.Value())
		if err != nil {
			return err
		}
		if err := w.WriteRepeatBytes(m.Key(), v, n); err != nil {
			return err
		}
	}
	return m.Err()
}

// RemoveSpills removes the spill files, after a failure; Finish removes
// them itself.
func (o *Output) RemoveSpills() {
	for k := 0; k < o.spills; k++ {
		for r := 0; r < o.nReduce; r++ {
			os.Remove(o.spillTo(k, r))
		}
	}
}
