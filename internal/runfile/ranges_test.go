// Tests of the final merge in key ranges: the same bytes as one merge,
// whatever the keys, the runs and the number of ranges; corruption found.

package runfile

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rangesCase makes n sorted runs of about size bytes in all whose keys
// are drawn by key: the runs a job's reduce tasks commit.
func rangesCase(rng *rand.Rand, n, size int, key func() string) [][]KeyValue {
	runs := make([][]KeyValue, n)
	for b := 0; b < size; {
		i := rng.IntN(n)
		kv := mkKV(key(), fmt.Sprint(rng.IntN(1000)))
		runs[i] = append(runs[i], kv)
		b += len(kv.Key) + len(kv.Value) + 2
	}
	for i := range runs {
		slices.SortStableFunc(runs[i], func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
		for j := range runs[i] {
			runs[i][j].Value += fmt.Sprintf("@%d.%d", i, j) // names its run: the order of equal keys shows
		}
	}
	return runs
}

// segmentsOf writes runs as segments, odd ones in files of dir and even
// ones in memory, as the coordinator keeps small outputs.
func segmentsOf(t *testing.T, dir string, runs [][]KeyValue) []Segment {
	segs := make([]Segment, len(runs))
	for i, kvs := range runs {
		if i%2 == 0 {
			data := encodeRun(t, kvs)
			segs[i] = Segment{Data: data, Size: int64(len(data))}
			continue
		}
		p := filepath.Join(dir, fmt.Sprintf("run-%d", i))
		if _, err := WriteFile(p, writeRecords(kvs)); err != nil {
			t.Fatal(err)
		}
		segs[i] = Segment{Path: p, Size: -1}
	}
	return segs
}

// sized is segs with the sizes of their files, as MergeTextRanges gives
// them to cutKeys.
func sized(t *testing.T, segs []Segment) []Segment {
	out := slices.Clone(segs)
	if _, err := sizeSegments(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// mergedInRanges is what MergeTextRanges writes to a file.
func mergedInRanges(t *testing.T, segs []Segment, pieces int) ([]byte, error) {
	p := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	err = MergeTextRanges(slices.Clone(segs), f, pieces)
	f.Close()
	got, _ := os.ReadFile(p)
	return got, err
}

// smallRanges has MergeTextRanges cut runs of a few kilobytes, so that
// the tests make many cases of little data.
func smallRanges(t *testing.T) {
	was := rangesFrom
	rangesFrom = 16 << 10
	t.Cleanup(func() { rangesFrom = was })
}

func TestMergeTextRangesIsOneMerge(t *testing.T) {
	smallRanges(t)
	rng := rand.New(rand.NewPCG(7, 8))
	word := func() string { return fmt.Sprintf("w%x", rng.Uint32()) }
	few := func() string { return []string{"", "a", "a b", "ab", "b", "b\x00", "zz"}[rng.IntN(7)] } // stretches of one key across every cut
	skewed := func() string {
		if rng.IntN(4) == 0 {
			return "the"
		}
		return fmt.Sprintf("k %d", rng.IntN(5000))
	}
	for _, c := range []struct {
		name string
		runs int
		key  func() string
		size int64 // of all runs
		cuts int   // how many of 2 to 6 pieces must be cut at least
	}{
		{"too little to cut", 3, word, rangesFrom / 2, 0}, // one merge
		{"hashed words", 10, word, 3 * rangesFrom, 5},
		{"one run", 1, word, 3 * rangesFrom, 5},
		{"few keys", 7, few, 3 * rangesFrom, 5},
		{"mostly the empty key", 4, func() string { // where most cuts would fall: it cuts nothing
			if rng.IntN(10) > 0 {
				return ""
			}
			return word()
		}, 3 * rangesFrom, 1},
		{"skewed, keys with spaces", 5, skewed, 3 * rangesFrom, 5},
		{"many runs", 40, word, 3 * rangesFrom, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			size := int(c.size)
			runs := rangesCase(rng, c.runs, size, c.key)
			if c.runs > 2 {
				runs[1] = nil // an empty run
			}
			segs := segmentsOf(t, t.TempDir(), runs)
			var want bytes.Buffer
			for _, kv := range referenceMerge(runs) {
				fmt.Fprintf(&want, "%s %s\n", kv.Key, kv.Value)
			}
			cut := 0
			for pieces := 1; pieces <= 6; pieces++ {
				cuts, err := cutKeys(sized(t, segs), pieces)
				if err != nil || len(cuts) > 0 && len(cuts[0]) == 0 {
					t.Fatalf("%d pieces: cut at %q (%v)", pieces, cuts, err)
				}
				if len(cuts) > 0 && c.size >= rangesFrom {
					cut++
				}
				got, err := mergedInRanges(t, segs, pieces)
				if err != nil {
					t.Fatalf("%d pieces: %v", pieces, err)
				}
				if !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("%d pieces: %d bytes differ from one merge's %d", pieces, len(got), want.Len())
				}
			}
			if cut < c.cuts {
				t.Fatalf("cut in ranges for %d of 2 to 6 pieces, want %d: the case tests one merge only", cut, c.cuts)
			}
		})
	}
}

// The ranges split the work: the cut keys of a hashed job's runs leave
// each range about its share, the first the most (it skips nothing).
func TestCutKeysBalanceTheRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	runs := rangesCase(rng, 10, 1<<20, func() string { return fmt.Sprintf("w%08x", rng.Uint32()) })
	segs := segmentsOf(t, t.TempDir(), runs)
	all := referenceMerge(runs)
	for _, pieces := range []int{2, 3, 4} {
		cuts, err := cutKeys(sized(t, segs), pieces)
		if err != nil || len(cuts) != pieces-1 {
			t.Fatalf("%d pieces: cuts %q, %v", pieces, cuts, err)
		}
		lo := 0
		for i := 0; i <= len(cuts); i++ {
			hi := len(all)
			if i < len(cuts) {
				hi, _ = slices.BinarySearchFunc(all, string(cuts[i]), func(kv KeyValue, k string) int { return strings.Compare(kv.Key, k) })
			}
			q := 1 - skipCost
			want := (math.Pow(q, float64(i)) - math.Pow(q, float64(i+1))) / (1 - math.Pow(q, float64(pieces)))
			if share := float64(hi-lo) / float64(len(all)); share < 0.8*want || share > 1.2*want {
				t.Errorf("%d pieces: range %d holds %.2f of the records, want about %.2f", pieces, i, share, want)
			}
			lo = hi
		}
	}
}

// A run corrupt anywhere fails the merge, whichever range read it: the
// last range reads every run to its end.
func TestMergeTextRangesFindsCorruption(t *testing.T) {
	smallRanges(t)
	rng := rand.New(rand.NewPCG(11, 12))
	runs := rangesCase(rng, 4, int(3*rangesFrom), func() string { return fmt.Sprintf("w%x", rng.Uint32()) })
	for _, where := range []string{"start", "middle", "crc"} {
		t.Run(where, func(t *testing.T) {
			segs := segmentsOf(t, t.TempDir(), runs)
			data := slices.Clone(segs[2].Data)
			switch where {
			case "start":
				data[20] ^= 0x40
			case "middle":
				data[len(data)/2] ^= 0x40
			default:
				data[len(data)-1] ^= 1
			}
			segs[2].Data = data
			for pieces := 1; pieces <= 4; pieces++ {
				if _, err := mergedInRanges(t, segs, pieces); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%d pieces: err = %v, want ErrCorrupt", pieces, err)
				}
			}
		})
	}
}
