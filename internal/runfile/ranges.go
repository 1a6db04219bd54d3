// The final merge in key ranges at once: each range merged by a goroutine
// of its own and written where its lines belong in the output.

package runfile

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sync"
)

// rangesFrom is the total size of runs from which MergeTextRanges merges
// in ranges: below it, the goroutines cost more than they save. (A
// variable for the tests.)
var rangesFrom int64 = 1 << 20

// rangesMaxRuns is the most runs MergeTextRanges opens once per range:
// each range holds a buffer and a file per run.
const rangesMaxRuns = 256

// MergeTextRanges is MergeTextSegments into w from offset 0, in up to
// pieces ranges of keys merged at once. The cut points are keys of the
// largest run (cutKeys); range i merges the records with
// keys in [cut[i-1], cut[i]) of every run, after skipping those below its
// range, whose text sizes sum to where its lines start in w. The output
// is the same bytes as MergeTextSegments': equal keys fall in one range,
// where the merge keeps them in run order. The last range reads every run
// to its end, so every run's count and CRC are still verified. Fewer than
// two pieces, little data or very many runs merge as MergeTextSegments.
func MergeTextRanges(segs []Segment, w io.WriterAt, pieces int) error {
	total, err := sizeSegments(segs)
	if err != nil {
		return err
	}
	var cuts [][]byte
	if pieces >= 2 && total >= rangesFrom && len(segs) <= rangesMaxRuns {
		if cuts, err = cutKeys(segs, pieces); err != nil {
			return err
		}
	}
	if len(cuts) == 0 {
		return MergeTextSegments(segs, io.NewOffsetWriter(w, 0))
	}
	errs := make([]error, len(cuts)+1)
	var wg sync.WaitGroup
	for i := range errs {
		var lo, hi []byte
		if i > 0 {
			lo = cuts[i-1]
		}
		if i < len(cuts) {
			hi = cuts[i]
		}
		wg.Go(func() { errs[i] = mergeRange(segs, lo, hi, w) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err // the first range's: one line, as every error of a merge
		}
	}
	return nil
}

// skipCost is what skipping a record costs a range, as a share of what
// merging and writing it costs: measured, a third (uniq's final merge of
// 3 million lines, 2 ranges: 87 ms to skip the first half, 244 ms to
// merge it).
const skipCost = 1.0 / 3

// cutKeys returns up to pieces-1 increasing keys of the largest of segs:
// in a job whose keys are spread over the reduce tasks by a hash, each
// run's keys are spread as all of them are. Every range after the first
// skips the records below it before it merges, so the ranges shrink
// from first to last, each by skipCost of the one before (range i holds
// a share of the records in proportion to (1-skipCost)^i), and they take
// about as long.
func cutKeys(segs []Segment, pieces int) ([][]byte, error) {
	largest := 0
	for i, s := range segs {
		if s.Size > segs[largest].Size {
			largest = i
		}
	}
	runs, closeAll, err := OpenSegments(segs[largest : largest+1])
	if err != nil {
		return nil, err
	}
	defer closeAll()
	r, size := runs[0], float64(segs[largest].Size)
	q := 1 - skipCost
	at := func(k int) float64 { return size * (1 - math.Pow(q, float64(k))) / (1 - math.Pow(q, float64(pieces))) }
	var cuts [][]byte
	for k := 1; k < pieces && r.Next(); {
		if float64(r.offset()) < at(k) {
			continue
		}
		// No key is below the empty key: it cuts nothing (and nil is no
		// bound at all).
		if len(r.Key()) > 0 && (len(cuts) == 0 || bytes.Compare(r.Key(), cuts[len(cuts)-1]) > 0) {
			cuts = append(cuts, bytes.Clone(r.Key()))
		}
		for k++; k < pieces && float64(r.offset()) >= at(k); k++ {
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("runfile: merging run %d: %w", largest, err)
	}
	return cuts, nil
}

// mergeRange writes to w, as text, the records of segs whose keys are in
// [lo, hi) (nil: unbounded), at the offset where they belong: the text
// size of the records below lo.
func mergeRange(segs []Segment, lo, hi []byte, w io.WriterAt) error {
	runs, closeAll, err := OpenSegments(segs)
	if err != nil {
		return err
	}
	defer closeAll()
	m := NewMerger(runs)
	var off int64
	if lo != nil {
		live := make([]bool, len(runs))
		for i, r := range runs {
			for r.Next() {
				if bytes.Compare(r.Key(), lo) >= 0 {
					live[i] = true
					break
				}
				off += int64(len(r.Key()) + len(r.Value()) + 2)
			}
			if err := r.Err(); err != nil {
				return fmt.Errorf("runfile: merging run %d: %w", i, err)
			}
		}
		m = primedMerger(runs, live)
	}
	return writeLines(m, newAheadWriter(io.NewOffsetWriter(w, off), 256<<10), hi, nil)
}
