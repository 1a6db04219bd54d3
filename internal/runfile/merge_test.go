// Tests and benchmarks of merging runs and grouping them by key, against
// a reference merge.

package runfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// runsOf encodes each record list as a run and returns readers over them.
func runsOf(t testing.TB, runs ...[]KeyValue) []*Reader {
	t.Helper()
	rs := make([]*Reader, len(runs))
	for i, kvs := range runs {
		data := encodeRun(t, kvs)
		rs[i] = NewReader(bytes.NewReader(data), int64(len(data)))
	}
	return rs
}

// drain returns every record of m.
func drain(m *Merger) ([]KeyValue, error) {
	var out []KeyValue
	for m.Next() {
		out = append(out, KeyValue{string(m.Key()), string(m.Value())})
	}
	return out, m.Err()
}

// referenceMerge is the merge by definition: all records in run order,
// stably sorted by key. Tests make values name their run where the order
// of equal keys matters.
func referenceMerge(runs [][]KeyValue) []KeyValue {
	all := slices.Concat(runs...)
	slices.SortStableFunc(all, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return all
}

func mkKV(key, value string) KeyValue { return KeyValue{key, value} }

func TestMerger(t *testing.T) {
	tests := []struct {
		name string
		runs [][]KeyValue
	}{
		{"no runs", nil},
		{"one empty run", [][]KeyValue{nil}},
		{"all empty", [][]KeyValue{nil, nil, nil}},
		{"one run", [][]KeyValue{{mkKV("a", "1"), mkKV("b", "2"), mkKV("b", "3")}}},
		{"disjoint", [][]KeyValue{{mkKV("a", "1"), mkKV("b", "1")}, {mkKV("c", "1"), mkKV("d", "1")}}},
		{"disjoint reversed", [][]KeyValue{{mkKV("c", "1"), mkKV("d", "1")}, {mkKV("a", "1"), mkKV("b", "1")}}},
		{"interleaved", [][]KeyValue{{mkKV("a", "0"), mkKV("c", "0"), mkKV("e", "0")}, {mkKV("b", "1"), mkKV("d", "1")}}},
		{"overlapping", [][]KeyValue{{mkKV("a", "0"), mkKV("b", "0")}, {mkKV("b", "1"), mkKV("c", "1")}, {mkKV("a", "2"), mkKV("c", "2")}}},
		{"equal keys", [][]KeyValue{{mkKV("k", "0a"), mkKV("k", "0b")}, {mkKV("k", "1a")}, {mkKV("k", "2a"), mkKV("k", "2b")}}},
		{"empty runs between", [][]KeyValue{nil, {mkKV("b", "1")}, nil, {mkKV("a", "3")}, nil}},
		{"empty and binary keys", [][]KeyValue{{mkKV("", "0"), mkKV("\x00", "0")}, {mkKV("", "1"), mkKV("\xff", "1")}}},
		{"prefix keys", [][]KeyValue{{mkKV("ab", "0"), mkKV("abc", "0")}, {mkKV("a", "1"), mkKV("abc", "1")}}},
		{"many runs", manyRuns(9, 300)},
		{"keys around 8 bytes", prefixRuns(7, 400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMerger(runsOf(t, tt.runs...))
			got, err := drain(m)
			if err != nil {
				t.Fatal(err)
			}
			if m.Next() {
				t.Fatal("Next after the end returned true")
			}
			if want := referenceMerge(tt.runs); !slices.Equal(got, want) {
				t.Fatalf("merge\n got %v\nwant %v", got, want)
			}
		})
	}
}

// prefixRuns returns n sorted runs of about size records whose keys, 0
// to 12 bytes of 0x00, 'a' and 0xff, often share their first 8 bytes or
// differ only in their length: the merge compares the keys' 8-byte
// prefixes before their bytes.
func prefixRuns(n, size int) [][]KeyValue {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	runs := make([][]KeyValue, n)
	for i := range runs {
		for j := range size {
			key := make([]byte, rng.IntN(13))
			for k := range key {
				key[k] = "\x00a\xff"[rng.IntN(3)]
			}
			runs[i] = append(runs[i], mkKV(string(key), fmt.Sprintf("%d.%d", i, j)))
		}
		runs[i] = referenceMerge(runs[i : i+1])
	}
	return runs
}

// manyRuns returns n sorted runs of about size records over a small key
// space, so keys repeat within and across runs. Values name their run and
// position so stability is visible.
func manyRuns(n, size int) [][]KeyValue {
	runs := make([][]KeyValue, n)
	for i := range runs {
		for j, r := range wcRecords(size+i*7, uint64(i)) {
			runs[i] = append(runs[i], mkKV(r.Key[:3], fmt.Sprintf("%d.%d", i, j)))
		}
	}
	return runs
}

func TestMergerStable(t *testing.T) {
	runs := [][]KeyValue{
		{mkKV("a", "0.0"), mkKV("x", "0.1"), mkKV("x", "0.2")},
		{mkKV("x", "1.0")},
		{mkKV("b", "2.0"), mkKV("x", "2.1"), mkKV("x", "2.2"), mkKV("z", "2.3")},
	}
	got, err := drain(NewMerger(runsOf(t, runs...)))
	if err != nil {
		t.Fatal(err)
	}
	var xs []string
	for _, r := range got {
		if r.Key == "x" {
			xs = append(xs, r.Value) // values name their run and position
		}
	}
	if want := []string{"0.1", "0.2", "1.0", "2.1", "2.2"}; !slices.Equal(xs, want) {
		t.Fatalf("values of x = %v, want %v", xs, want)
	}
}

func TestMergerCorruptRun(t *testing.T) {
	good := encodeRun(t, []KeyValue{mkKV("a", "1"), mkKV("c", "1"), mkKV("e", "1")})
	bad := encodeRun(t, []KeyValue{mkKV("b", "1"), mkKV("d", "1"), mkKV("f", "1")})
	bad[len(bad)-1] ^= 1 // CRC: detected only at the end of the run
	truncated := bad[:8]
	badMagic := append([]byte("MRR0"), good[4:]...)
	for name, data := range map[string][]byte{"bad crc": bad, "truncated": truncated, "bad magic": badMagic} {
		t.Run(name, func(t *testing.T) {
			runs := []*Reader{
				NewReader(bytes.NewReader(good), int64(len(good))),
				NewReader(bytes.NewReader(data), -1),
			}
			m := NewMerger(runs)
			got, err := drain(m)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "run 1") {
				t.Fatalf("err = %v after %v, want ErrCorrupt naming run 1", err, got)
			}
			if m.Next() {
				t.Fatal("Next after an error returned true")
			}
		})
	}
}

// reduceReference groups by key with a map and sorts the keys.
func reduceReference(runs [][]KeyValue, reduce func(string, []string) string) []KeyValue {
	groups := map[string][]string{}
	for _, r := range referenceMerge(runs) {
		groups[r.Key] = append(groups[r.Key], r.Value)
	}
	var out []KeyValue
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, mkKV(k, reduce(k, groups[k])))
	}
	return out
}

// joinReduce records the key and values it saw, so ordering is checked too.
// reduceGroups reduces the merged stream with reduce, one call per key
// (GroupByKey), writing (key, result) to out.
func reduceGroups(m *Merger, reduce func(key string, values []string) string, out *Writer) error {
	return GroupByKey(m, func(key string, values []string) error {
		return out.Write(key, reduce(key, values))
	})
}

func joinReduce(key string, values []string) string {
	return key + "=" + strings.Join(values, ",")
}

func TestReduceMerged(t *testing.T) {
	for _, runs := range [][][]KeyValue{
		nil,
		{nil, nil},
		{{mkKV("a", "1")}},
		{{mkKV("", "e"), mkKV("a", "1"), mkKV("a", "2")}, {mkKV("", "f"), mkKV("b", "3")}},
		manyRuns(5, 200),
	} {
		var buf bytes.Buffer
		out := newWriter(&buf)
		if err := reduceGroups(NewMerger(runsOf(t, runs...)), joinReduce, out); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := decodeRun(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if want := reduceReference(runs, joinReduce); !kvsEqual(got, want) {
			t.Fatalf("reduceGroups\n got %v\nwant %v", got, want)
		}
	}
}

// bigGroups returns 3 runs of groups of many values, some of them larger
// than a block of the groups' strings, so that groups cross from block
// to block.
func bigGroups() [][]KeyValue {
	var big [][]KeyValue
	for i := range 3 {
		var run []KeyValue
		for k := range 40 {
			v := strings.Repeat(fmt.Sprintf("%d.%d|", i, k), 1+k*k*k%9000)
			run = append(run, mkKV(fmt.Sprintf("k%03d", k/3), v))
		}
		big = append(big, run)
	}
	return big
}

// Reduce may keep its key, its values and their slice, and append to the
// slice, long after it returned: nothing it kept changes.
func TestReduceMergedKeepsStrings(t *testing.T) {
	for _, runs := range [][][]KeyValue{manyRuns(3, 100), bigGroups()} {
		kept := map[string][]string{}
		keep := func(key string, values []string) string {
			kept[key] = values // kept as is: the slice and strings are fresh
			return strconv.Itoa(len(values))
		}
		if err := reduceGroups(NewMerger(runsOf(t, runs...)), keep, newWriter(&bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		for _, values := range kept { // a slice's appends reach no other
			_ = append(values, "clobbered")
		}
		for _, r := range reduceReference(runs, joinReduce) {
			if got := r.Key + "=" + strings.Join(kept[r.Key], ","); got != r.Value {
				t.Fatalf("kept strings changed: %.80q, want %.80q", got, r.Value)
			}
		}
	}
}

func TestReduceMergedErrors(t *testing.T) {
	data := encodeRun(t, []KeyValue{mkKV("a", "1"), mkKV("b", "1")})
	data[len(data)-1] ^= 1
	runs := []*Reader{NewReader(bytes.NewReader(data), int64(len(data)))}
	err := reduceGroups(NewMerger(runs), joinReduce, newWriter(&bytes.Buffer{}))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt run: err = %v", err)
	}
	out := newWriter(&failWriter{})
	out.Close() // fails; the writer's error is sticky
	err = reduceGroups(NewMerger(runsOf(t, []KeyValue{mkKV("a", "1")})), joinReduce, out)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("failing writer: err = %v", err)
	}
}

// benchRuns splits the benchmark records round-robin into 8 encoded runs.
func benchRuns(b *testing.B) (datas [][]byte, total int64) {
	all := benchRecords()
	for i := range 8 {
		var part []KeyValue
		for j := i; j < len(all); j += 8 {
			part = append(part, all[j])
		}
		datas = append(datas, encodeRun(b, part))
		total += int64(len(datas[i]))
	}
	return datas, total
}

// readersOf returns fresh readers over datas.
func readersOf(datas [][]byte) []*Reader {
	runs := make([]*Reader, len(datas))
	for i, d := range datas {
		runs[i] = NewReader(bytes.NewReader(d), int64(len(d)))
	}
	return runs
}

func BenchmarkMerge(b *testing.B) {
	datas, total := benchRuns(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		m := NewMerger(readersOf(datas))
		n := 0
		for m.Next() {
			n++
		}
		if m.Err() != nil || n != len(benchRecords()) {
			b.Fatalf("merged %d records: %v", n, m.Err())
		}
	}
}

func BenchmarkReduceMerged(b *testing.B) {
	datas, total := benchRuns(b)
	count := func(_ string, values []string) string { return strconv.Itoa(len(values)) }
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		if err := reduceGroups(NewMerger(readersOf(datas)), count, newWriter(io.Discard)); err != nil {
			b.Fatal(err)
		}
	}
}

// Several merge passes give the same stream as one merge: same keys, and
// equal keys still in run order, whatever the fan-in, with runs given as
// segments of several (Runs) too; a pass merges only the runs it must.
func TestMergeSegmentsKeepOrder(t *testing.T) {
	dir := t.TempDir()
	var datas [][]byte
	var all []KeyValue
	for i := 0; i < 11; i++ {
		var kvs []KeyValue
		for j := 0; j < 30; j++ {
			kvs = append(kvs, KeyValue{fmt.Sprintf("k%03d", (j*7+i)%40), fmt.Sprintf("run%d-%d", i, j)})
		}
		slices.SortStableFunc(kvs, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
		all = append(all, kvs...)
		datas = append(datas, encodeRun(t, kvs))
	}
	slices.SortStableFunc(all, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	// Runs 0-2 are one segment of three runs in one file, the others a file each.
	multi := Segment{Path: filepath.Join(dir, "multi")}
	var text []byte
	for _, d := range datas[:3] {
		multi.Runs = append(multi.Runs, Extent{int64(len(text)), int64(len(d))})
		text = append(text, d...)
	}
	multi.Size = int64(len(text))
	if err := os.WriteFile(multi.Path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	segs := []Segment{multi}
	for i, d := range datas[3:] {
		p := filepath.Join(dir, fmt.Sprintf("in-%d", i+3))
		if err := os.WriteFile(p, d, 0o600); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, Segment{Path: p, Size: int64(len(d))})
	}
	for _, fanIn := range []int{2, 3, 8, 11} {
		out, err := MergeSegments(segs, fanIn, filepath.Join(dir, fmt.Sprint(fanIn)))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > fanIn {
			t.Fatalf("fan-in %d: %d runs left", fanIn, len(out))
		}
		if fanIn == 8 && (len(out) != 8 || out[1].Path != segs[2].Path) { // runs 0-3 merged, 4-10 as they were
			t.Fatalf("fan-in 8: %d runs left, the second %s", len(out), out[1].Path)
		}
		runs, closeAll, err := OpenSegments(out)
		if err != nil {
			t.Fatal(err)
		}
		m := NewMerger(runs)
		var got []KeyValue
		for m.Next() {
			got = append(got, KeyValue{string(m.Key()), string(m.Value())})
		}
		closeAll()
		if m.Err() != nil || !slices.Equal(got, all) {
			t.Fatalf("fan-in %d: multi-pass merge differs from one stable sort (err %v)", fanIn, m.Err())
		}
	}
}

// GroupByKeySeq gives the same groups as GroupByKey, whether f reads all,
// some or none of a key's values; the keys and values it gives may be
// kept.
func TestGroupByKeySeq(t *testing.T) {
	for _, runs := range [][][]KeyValue{manyRuns(5, 200), bigGroups()} {
		testGroupByKeySeq(t, runs)
	}
}

func testGroupByKeySeq(t *testing.T, runs [][]KeyValue) {
	var want [][]string
	GroupByKey(NewMerger(runsOf(t, runs...)), func(key string, values []string) error {
		want = append(want, append([]string{key}, values...))
		return nil
	})
	for _, limit := range []int{-1, 0, 1, 3} { // -1 reads every value
		var got [][]string
		err := GroupByKeySeq(NewMerger(runsOf(t, runs...)), func(key string, values iter.Seq[string]) error {
			g := []string{key}
			for v := range values {
				if limit >= 0 && len(g) > limit {
					break
				}
				g = append(g, v)
			}
			for range values { // a second range yields nothing
				t.Fatal("values ranged twice")
			}
			got = append(got, g)
			return nil
		})
		if err != nil || len(got) != len(want) {
			t.Fatalf("limit %d: %d groups, want %d (%v)", limit, len(got), len(want), err)
		}
		for i := range want {
			n := len(want[i])
			if limit >= 0 {
				n = min(n, limit+1)
			}
			if !slices.Equal(got[i], want[i][:n]) {
				t.Fatalf("limit %d: group %.80q, want %.80q", limit, got[i], want[i][:n])
			}
		}
	}
}

// An iterator kept past its f yields nothing, even where the merge has
// stopped at its key's values (f failed without reading them).
func TestGroupByKeySeqIteratorEndsWithF(t *testing.T) {
	var kept iter.Seq[string]
	failed := errors.New("f failed")
	err := GroupByKeySeq(NewMerger(runsOf(t, manyRuns(3, 50)...)), func(key string, values iter.Seq[string]) error {
		kept = values
		return failed
	})
	if err != failed {
		t.Fatalf("GroupByKeySeq returned %v, want f's error", err)
	}
	for v := range kept {
		t.Fatalf("an iterator ranged after its f yielded %q", v)
	}
}

// SeqCounts counts the values the iterators yielded and their bytes, not
// those f skipped, and its progress counter ends at the bytes counted,
// having been fed along the way, not only at the end.
func TestSeqCountsCountsWhatWasRead(t *testing.T) {
	long := strings.Repeat("v", 40<<10)
	runs := [][]KeyValue{{mkKV("a", long), mkKV("a", long), mkKV("a", long), mkKV("b", "x"), mkKV("c", "yz")}}
	var progress atomic.Int64
	c := SeqCounts{Progress: &progress}
	var during []int64
	err := c.GroupByKeySeq(NewMerger(runsOf(t, runs...)), func(key string, values iter.Seq[string]) error {
		for range values {
			during = append(during, progress.Load())
			if key == "c" {
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// a's three values, b's one, c's first (of one): 5 values.
	wantBytes := int64(3*(len(long)+1) + 2 + 3)
	if c.Values != 5 || c.Bytes != wantBytes || progress.Load() != wantBytes {
		t.Fatalf("counted %d values, %d bytes, progress %d; want 5, %d, %d", c.Values, c.Bytes, progress.Load(), wantBytes, wantBytes)
	}
	if during[2] == 0 {
		t.Fatalf("no progress published while 120 KiB of values were read: %v", during)
	}
}

// repeatingRuns returns n sorted runs whose keys come in long stretches
// of the same key, some of them prefixes of others, as a map task's
// spills of a word count without a combiner.
func repeatingRuns(rng *rand.Rand, n int) [][]KeyValue {
	keys := []string{"", "a", "ab", "abc", "b", "ba", "k\x00", "k\x00\x00", "z"}
	runs := make([][]KeyValue, n)
	for i := range runs {
		for j := rng.IntN(200); j > 0; j-- {
			runs[i] = append(runs[i], mkKV(keys[rng.IntN(len(keys))], ""))
		}
		slices.SortFunc(runs[i], func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
		for j := range runs[i] {
			runs[i][j].Value = fmt.Sprintf("%d.%d", i, j)
		}
	}
	return runs
}

// Runs of repeated keys merge stably, and SameKey tells each repeat.
func TestMergerRepeatedKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200; i++ {
		runs := repeatingRuns(rng, 1+rng.IntN(6))
		got, err := drain(NewMerger(runsOf(t, runs...)))
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceMerge(runs); !slices.Equal(got, want) {
			t.Fatalf("case %d: merge\n got %v\nwant %v", i, got, want)
		}
		r := runsOf(t, runs[0])[0]
		for j := 0; r.Next(); j++ {
			if want := j > 0 && runs[0][j].Key == runs[0][j-1].Key; r.SameKey() != want {
				t.Fatalf("case %d: record %d: SameKey = %v, want %v", i, j, r.SameKey(), want)
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
}

// Every number of runs, odd or even, some empty, merges as a stable sort:
// the tree of losers has a leaf per run whatever their number.
func TestMergerEveryFanIn(t *testing.T) {
	for n := 1; n <= 17; n++ {
		runs := manyRuns(n, 40)
		for i := 0; i < n; i += 3 {
			runs[i] = nil
		}
		got, err := drain(NewMerger(runsOf(t, runs...)))
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceMerge(runs); !slices.Equal(got, want) {
			t.Fatalf("%d runs: the merge differs from a stable sort", n)
		}
	}
}
