// Tests of a map task's output: records in, sorted and combined runs per partition out, spilled or not.

package mapside

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"mapreduce/internal/runfile"
)

// runMapOutput feeds records through a Output with the given buffer
// limit and returns each partition's final records.
func runMapOutput(t *testing.T, kvs []KeyValue, limit int64, combine func(string, []string) []string) ([][]KeyValue, int) {
	t.Helper()
	dir := t.TempDir()
	o := New(3, limit, plain(combine), spillTo(dir))
	for _, kv := range kvs {
		o.Emit(kv.Key, kv.Value)
	}
	final := filepath.Join(dir, "final")
	runs, err := o.Finish(final)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]KeyValue, 3)
	for r := range out {
		var records int64 // runs are group by group, 3 to a group
		for k := r; k < len(runs); k += 3 {
			records += runs[k].Records
		}
		if out[r], err = readSection(final, r); err != nil || int64(len(out[r])) != records {
			t.Fatalf("partition %d: %d records (%v), infos say %d", r, len(out[r]), err, records)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*spill*")); len(left) > 0 {
		t.Fatalf("spill files left: %v", left)
	}
	return out, o.spills
}

// KeyValue is one record, as the tests emit and read them.
type KeyValue struct{ Key, Value string }

// plain is f as a Combiner that never fails; nil stays nil.
func plain(f func(string, []string) []string) Combiner {
	if f == nil {
		return nil
	}
	return func(k string, vs []string) ([]string, error) { return f(k, vs), nil }
}

// spillTo names the spills of an output in dir.
func spillTo(dir string) func(k int) string {
	return func(k int) string { return filepath.Join(dir, fmt.Sprintf("spill-%d", k)) }
}

// readSection returns the records of partition r of the sections file at
// path, its runs merged as a reducer merges them.
func readSection(path string, r int) ([]KeyValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	runs, err := runfile.Runs(f, st.Size(), r)
	if err != nil {
		return nil, err
	}
	return mergeRuns(f, runs)
}

// mergeRuns returns the records of runs of f, merged.
func mergeRuns(f io.ReaderAt, runs []runfile.Extent) ([]KeyValue, error) {
	var readers []*runfile.Reader
	for _, e := range runs {
		readers = append(readers, runfile.NewReader(io.NewSectionReader(f, e.Off, e.Size), e.Size))
	}
	m := runfile.NewMerger(readers)
	var kvs []KeyValue
	for m.Next() {
		kvs = append(kvs, KeyValue{string(m.Key()), string(m.Value())})
	}
	return kvs, m.Err()
}

func mapSideRecords() []KeyValue {
	var kvs []KeyValue
	for i := 0; i < 3000; i++ {
		kvs = append(kvs, KeyValue{fmt.Sprintf("key%d", (i*i)%97), strconv.Itoa(i)})
	}
	return kvs
}

// Without a combiner the output is a stable sort by key of each partition,
// whether or not the buffer spilled.
func TestMapOutputIsStableSortWithOrWithoutSpills(t *testing.T) {
	kvs := mapSideRecords()
	want := make([][]KeyValue, 3)
	for _, kv := range kvs {
		r := Partition(0, kv.Key, 3)
		want[r] = append(want[r], kv)
	}
	for _, w := range want {
		slices.SortStableFunc(w, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	}
	for _, limit := range []int64{64 << 20, 4 << 10, 1} {
		got, spills := runMapOutput(t, kvs, limit, nil)
		if limit < 1<<20 && spills < 2 {
			t.Fatalf("limit %d: %d spills, want several", limit, spills)
		}
		for r := range want {
			if !slices.Equal(got[r], want[r]) {
				t.Fatalf("limit %d: partition %d differs from a stable sort", limit, r)
			}
		}
	}
}

// With a combiner each key comes out once, with the total.
func TestMapOutputCombines(t *testing.T) {
	sum := func(_ string, vs []string) []string {
		n := 0
		for _, v := range vs {
			k, _ := strconv.Atoi(v)
			n += k
		}
		return []string{strconv.Itoa(n)}
	}
	kvs := mapSideRecords()
	want := map[string]int{}
	for _, kv := range kvs {
		n, _ := strconv.Atoi(kv.Value)
		want[kv.Key] += n
	}
	for _, limit := range []int64{64 << 20, 2 << 10} {
		got, _ := runMapOutput(t, kvs, limit, sum)
		seen := 0
		for _, part := range got {
			for _, kv := range part {
				if n, _ := strconv.Atoi(kv.Value); n != want[kv.Key] {
					t.Fatalf("limit %d: %s = %s, want %d", limit, kv.Key, kv.Value, want[kv.Key])
				}
				seen++
			}
		}
		if seen != len(want) {
			t.Fatalf("limit %d: %d records, want one per key (%d)", limit, seen, len(want))
		}
	}
}

// CountProgress counts every record's key, value and one more byte,
// publishing along the way, and Flush publishes the rest.
func TestOutputCountsProgress(t *testing.T) {
	var progress atomic.Int64
	o := New(3, 64<<20, nil, spillTo(t.TempDir()))
	o.CountProgress(&progress)
	var want int64
	seenEarly := false
	for i := range 20000 {
		k, v := fmt.Sprintf("key%d", i%777), "value"
		o.Emit(k, v)
		want += int64(len(k) + len(v) + 1)
		seenEarly = seenEarly || progress.Load() > 0 && want < 100<<10
	}
	if !seenEarly {
		t.Error("nothing published in the first 100 KiB emitted")
	}
	if progress.Load() > want || progress.Load() < want-publishEvery {
		t.Fatalf("progress %d before Flush, want within %d of %d", progress.Load(), publishEvery, want)
	}
	o.Flush()
	if progress.Load() != want {
		t.Fatalf("progress %d after Flush, want %d", progress.Load(), want)
	}
	if _, err := o.Finish(filepath.Join(t.TempDir(), "out")); err != nil {
		t.Fatal(err)
	}
}

// A Combine error stops the output; a lone value need not be combined,
// so the key gets two.
func TestCombineErrorStopsTheOutput(t *testing.T) {
	o := New(1, 64<<20, func(string, []string) ([]string, error) { return nil, errors.New("boom") }, spillTo(t.TempDir()))
	o.Emit("k", "v")
	o.Emit("k", "v")
	_, err := o.Finish(filepath.Join(t.TempDir(), "out"))
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
}

// randomRecords makes n records over a few keys chosen to stress the
// grouping and the sort (empty keys, zero bytes, long shared prefixes)
// and few distinct values, so that a key's values come in runs.
func randomRecords(rng *rand.Rand, n int) []KeyValue {
	keys := []string{"", "\x00", "a", "a\x00", "a\x00\x00", "ab", "abcdefgh", "abcdefgh\x00", "abcdefghi",
		"abcdefgh" + strings.Repeat("z", 40), "straße", "\xff\xff", "the", "them", "then"}
	for i := 0; i < 40; i++ {
		keys = append(keys, fmt.Sprintf("k%03d", rng.IntN(1000)))
	}
	nkeys := 1 + rng.IntN(len(keys))
	values := []string{"1", "1", "1", "2", "", "long value " + strings.Repeat("v", rng.IntN(30))}
	kvs := make([]KeyValue, n)
	for i := range kvs {
		kvs[i] = KeyValue{keys[rng.IntN(nkeys)], values[rng.IntN(len(values))]}
		if i > 0 && rng.IntN(3) == 0 {
			kvs[i] = kvs[i-1] // a run of the same record
		}
	}
	return kvs
}

// stableSortByPartition is the reference map output without a combiner.
func stableSortByPartition(kvs []KeyValue, nReduce int) [][]KeyValue {
	want := make([][]KeyValue, nReduce)
	for _, kv := range kvs {
		r := Partition(0, kv.Key, nReduce)
		want[r] = append(want[r], kv)
	}
	for _, w := range want {
		slices.SortStableFunc(w, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	}
	return want
}

// joinValues is a Combine that joins values with "+", so the pieces of a
// key's final values, in order, must be its values as emitted: it checks
// that Combine only ever gets consecutive values, in order.
func joinValues(_ string, vs []string) []string { return []string{strings.Join(vs, "+")} }

// Against a stable sort of random records, with every buffer size: the
// records without a combiner, each key's values in order with one.
func TestMapOutputMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 60; i++ {
		limit := []int64{64 << 20, 8 << 10, 1 << 10, 1}[i%4]
		n := rng.IntN(5000)
		if limit == 1 { // a spill per record
			n /= 50
		}
		kvs := randomRecords(rng, n)
		want := stableSortByPartition(kvs, 3)
		got, _ := runMapOutput(t, kvs, limit, nil)
		for r := range want {
			if !slices.Equal(got[r], want[r]) {
				t.Fatalf("case %d, limit %d: partition %d differs from a stable sort", i, limit, r)
			}
		}
		got, _ = runMapOutput(t, kvs, limit, joinValues)
		for r := range want {
			if !slices.Equal(splitJoined(got[r]), want[r]) {
				t.Fatalf("case %d, limit %d: combined partition %d differs from a stable sort", i, limit, r)
			}
		}
	}
}

// splitJoined undoes joinValues.
func splitJoined(kvs []KeyValue) []KeyValue {
	var out []KeyValue
	for _, kv := range kvs {
		for _, v := range strings.Split(kv.Value, "+") {
			out = append(out, KeyValue{kv.Key, v})
		}
	}
	return out
}

// Keys repeated far more than combineBatch times, across spills, with a
// Combine that sums, come out once; without one, every record comes out.
func TestMapOutputLongRuns(t *testing.T) {
	var kvs []KeyValue
	for i := 0; i < 3*combineBatch+5; i++ {
		kvs = append(kvs, KeyValue{"the", "1"}, KeyValue{"a", "1"})
		if i%1000 == 0 {
			kvs = append(kvs, KeyValue{"the", "10"})
		}
		if i%10 == 0 { // fills the buffer now and then
			kvs = append(kvs, KeyValue{fmt.Sprint("k", i), "1"})
		}
	}
	sum := func(_ string, vs []string) []string {
		n := 0
		for _, v := range vs {
			k, _ := strconv.Atoi(v)
			n += k
		}
		return []string{strconv.Itoa(n)}
	}
	for _, limit := range []int64{64 << 20, 2 << 10} {
		got, spills := runMapOutput(t, kvs, limit, sum)
		if limit < 1<<20 && spills < 2 {
			t.Fatalf("limit %d: %d spills, want several", limit, spills)
		}
		found := 0
		for _, p := range got {
			for _, kv := range p {
				if want := map[string]string{"a": "3077", "the": "3117"}[kv.Key]; want != "" {
					if found++; kv.Value != want {
						t.Fatalf("limit %d: %s = %s, want %s", limit, kv.Key, kv.Value, want)
					}
				}
			}
		}
		if found != 2 {
			t.Fatalf("limit %d: %d records for a and the, want one each", limit, found)
		}
		got, _ = runMapOutput(t, kvs, limit, nil)
		if want := stableSortByPartition(kvs, 3); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("limit %d: without Combine, output differs from a stable sort", limit)
		}
	}
}

// The key sort agrees with strings.Compare on keys that share long
// prefixes (beyond the 8 bytes of a sort entry, as lines that begin with
// the same words) or hold zero bytes.
func TestKeySorter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s keySorter
	for _, c := range []struct {
		n      int
		prefix string
	}{{0, ""}, {1, ""}, {2, ""}, {33, ""}, {1000, ""}, {20000, ""}, {2000, "the sea, "}, {5000, "and the whale of the sea"}} {
		n := c.n
		seed := seedOf(rng.Uint64())
		gs := newGroups(&seed)
		var ids []int32
		seen := map[string]bool{}
		for range n {
			var k string
			for k == "" || seen[k] {
				b := make([]byte, rng.IntN(20))
				for j := range b {
					b[j] = "\x00ab\xffz"[rng.IntN(5)]
				}
				k = c.prefix[:rng.IntN(len(c.prefix)+1)] + string(b) + strconv.Itoa(rng.IntN(3))
			}
			seen[k] = true
			e, _, h := gs.lookup(k)
			gs.add(e, k, "", uint32(h>>32), 0)
		}
		for i := range gs.entries {
			if gs.entries[i].klen != 0 {
				ids = append(ids, int32(i))
			}
		}
		s.sort(ids, &gs)
		key := func(id int32) string { return string(gs.keyBytes(&gs.entries[id])) }
		if len(ids) != n || !slices.IsSortedFunc(ids, func(a, b int32) int { return strings.Compare(key(a), key(b)) }) {
			t.Fatalf("n=%d: %d keys, sorted %v", n, len(ids), slices.IsSortedFunc(ids, func(a, b int32) int { return strings.Compare(key(a), key(b)) }))
		}
	}
}

// radixSort orders keys as a stable sort by bytes.Compare does, equal
// keys by id: keys that repeat (a buffer held in order), share long
// prefixes, hold zero bytes or differ only by trailing zero bytes, in
// buckets small and large.
func TestRadixSortIsStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{2, 3, 31, 32, 33, 100, 5000} {
		for _, prefix := range []string{"", "and the whale", "\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
			keys := make([][]byte, n)
			for i := range keys {
				if i > 0 && rng.IntN(4) == 0 { // a repeat
					keys[i] = keys[rng.IntN(i)]
					continue
				}
				b := make([]byte, rng.IntN(12))
				for j := range b {
					b[j] = "\x00ab z"[rng.IntN(5)]
				}
				keys[i] = append([]byte(prefix[:rng.IntN(len(prefix)+1)]), b...)
			}
			es := make([]sortEntry, n)
			for i := range es {
				es[i] = sortEntry{prefixAt(keys[i], 0), int32(i)}
			}
			rng.Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
			radixSort(es, make([]sortEntry, n), 0, 0, func(id int32) []byte { return keys[id] })
			for i := 1; i < n; i++ {
				a, b := es[i-1].id, es[i].id
				if c := bytes.Compare(keys[a], keys[b]); c > 0 || c == 0 && a > b {
					t.Fatalf("n=%d prefix %q: %q (id %d) before %q (id %d)", n, prefix, keys[a], a, keys[b], b)
				}
			}
		}
	}
}

func TestGroupSizes(t *testing.T) {
	if unsafe.Sizeof(group{}) != groupBytes || unsafe.Sizeof(runs{}) != runsBytes || unsafe.Sizeof(entry{}) != entryBytes {
		t.Fatalf("group is %d bytes, runs %d, entry %d: update the constants",
			unsafe.Sizeof(group{}), unsafe.Sizeof(runs{}), unsafe.Sizeof(entry{}))
	}
}

// The buffer's estimate of its size bounds the heap it really holds, but
// for the blocks being filled (of groups and of keys), and is not far
// above it, for repeated values, distinct ones, and combined.
func TestMapOutputSizeEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	var b strings.Builder
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&b, "w%d ", i*7919%100003)
	}
	words := strings.Fields(b.String())
	numbers := make([]string, len(words)) // made beforehand: the heap measured is the buffer's
	for i := range numbers {
		numbers[i] = strconv.Itoa(i)
	}
	sum := func(_ string, vs []string) []string { return []string{strconv.Itoa(len(vs))} }
	for _, tt := range []struct {
		name    string
		combine func(string, []string) []string
		value   func(i int) string
	}{
		{"repeated", nil, func(int) string { return "1" }},
		{"distinct", nil, func(i int) string { return numbers[i] }},
		{"combined", sum, func(i int) string { return strconv.Itoa(i % 3) }},
	} {
		heap := func() uint64 {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		before := heap()
		o := New(10, 1<<40, plain(tt.combine), nil)
		for i, w := range words {
			o.Emit(w, tt.value(i))
		}
		used := int64(heap() - before)
		runtime.KeepAlive(o)
		t.Logf("%s: estimate %d, heap %d (%.2f)", tt.name, o.size, used, float64(o.size)/float64(used))
		const filling = chunkSize*groupBytes + keysChunk
		if o.size+filling < used || o.size > 3*used {
			t.Errorf("%s: estimate %d bytes, heap holds %d", tt.name, o.size, used)
		}
	}
}

// With a combiner, a spill holds a run of equal values as one record, its
// value prefixed with the count; without, the records themselves, as a
// final run does.
func TestSpillHoldsRuns(t *testing.T) {
	for _, combine := range []Combiner{nil, plain(joinValues)} {
		o := New(1, 64<<20, combine, spillTo(t.TempDir()))
		for range 1000 {
			o.Emit("the", "1")
		}
		o.Emit("word", "2")
		if err := o.spill(); err != nil {
			t.Fatal(err)
		}
		got, err := mergeRuns(o.groups.File(), []runfile.Extent{o.groups.Run(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		want := []KeyValue{{"the", "\xe8\x071"}, {"word", "\x012"}}
		if combine == nil {
			want = append(slices.Repeat([]KeyValue{{"the", "1"}}, 1000), KeyValue{"word", "2"})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("combine %v: spill = %q, want %q", combine != nil, got, want)
		}
		o.RemoveSpills()
	}
}

// Without a combiner, or with one and keys nearly all distinct, the
// spills are the output: each partition holds a run per spill and one for
// the last buffer, merged by the reducer, at most maxGroups (more spills
// are merged into one as they come). With a combiner and keys that
// repeat, they are merged into one run per partition. No spill is left.
func TestSpillsShippedWithoutCombiner(t *testing.T) {
	repeated := mapSideRecords()
	var distinct []KeyValue
	for i := range 20000 {
		distinct = append(distinct, KeyValue{fmt.Sprintf("line %d", i), "1"})
	}
	for _, tt := range []struct {
		limit   int64
		kvs     []KeyValue
		combine Combiner
		ship    bool
	}{
		{32 << 10, repeated, nil, true}, {2 << 10, repeated, nil, true},
		{32 << 10, repeated, plain(joinValues), false}, {2 << 10, repeated, plain(joinValues), false},
		{128 << 10, distinct, plain(joinValues), true}, {32 << 10, distinct, plain(joinValues), false}, // too few keys to tell
	} {
		kvs := tt.kvs
		dir := t.TempDir()
		o := New(3, tt.limit, tt.combine, spillTo(dir))
		for _, kv := range kvs {
			o.Emit(kv.Key, kv.Value)
		}
		final := filepath.Join(dir, "final")
		infos, err := o.Finish(final)
		name := fmt.Sprintf("limit %d, %d records, combine %v, %d spills", tt.limit, len(kvs), tt.combine != nil, o.spills)
		if err != nil || o.spills < 2 {
			t.Fatalf("%s: %v", name, err)
		}
		st := o.Stats(infos)
		if fi, err := os.Stat(final); err != nil || fi.Size() != st.File {
			t.Fatalf("%s: Stats.File %d, the file %v (%v)", name, st.File, fi, err)
		}
		f, err := os.Open(final)
		if err != nil {
			t.Fatal(err)
		}
		for r := range 3 {
			runs, err := runfile.Runs(f, st.File, r)
			switch {
			case err != nil:
				t.Errorf("%s, partition %d: %v", name, r, err)
			case !tt.ship && len(runs) != 1,
				tt.ship && o.spills < maxGroups && len(runs) != o.spills+1,
				tt.ship && (len(runs) < 2 || len(runs) > maxGroups):
				t.Errorf("%s, partition %d: %d runs", name, r, len(runs))
			}
		}
		f.Close()
		if left, _ := filepath.Glob(filepath.Join(dir, "*spill*")); len(left) > 0 {
			t.Fatalf("%s: spill files left: %v", name, left)
		}
		if tt.combine == nil || len(kvs) == len(distinct) { // one value a key: nothing combined
			want := stableSortByPartition(kvs, 3)
			for r := range want {
				if got, err := readSection(final, r); err != nil || !slices.Equal(got, want[r]) {
					t.Fatalf("%s: partition %d differs from a stable sort (%v)", name, r, err)
				}
			}
		}
	}
}

func TestSpillRun(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 1 << 20, math.MaxUint32} {
		value := string(binary.AppendUvarint(nil, uint64(n))) + "v\x80"
		if got, v, err := spillRun(value); got != n || v != "v\x80" || err != nil {
			t.Errorf("spillRun(%q) = %d, %q, %v", value, got, v, err)
		}
		if got, v, err := spillRun([]byte(value)); got != n || string(v) != "v\x80" || err != nil {
			t.Errorf("spillRun([]byte(%q)) = %d, %q, %v", value, got, v, err)
		}
	}
	for _, bad := range []string{"", "\x80", "\xff\xff\xff\xff\xff\x01", "\x80\x80\x80\x80\x10"} {
		if _, _, err := spillRun(bad); err == nil {
			t.Errorf("spillRun(%q) accepted", bad)
		}
	}
}

// Keys of every length around what an entry holds itself, and keys long
// enough to get blocks of their own, come out as a stable sort, with and
// without spills.
func TestMapOutputLongKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var keys []string
	for n := range 2 * inlineKey {
		keys = append(keys, strings.Repeat("k", n), strings.Repeat("k", n)+"\x00", strings.Repeat("\xff", n))
	}
	for _, n := range []int{keysChunk/8 - 1, keysChunk/8 + 1, keysChunk + 3} {
		keys = append(keys, strings.Repeat("long", n/4)+strconv.Itoa(n), strings.Repeat("long", n/4)+"!")
	}
	kvs := make([]KeyValue, 3000)
	for i := range kvs {
		kvs[i] = KeyValue{keys[rng.IntN(len(keys))], []string{"1", "1", "2"}[rng.IntN(3)]}
	}
	want := stableSortByPartition(kvs, 3)
	for _, limit := range []int64{64 << 20, 64 << 10} {
		got, spills := runMapOutput(t, kvs, limit, nil)
		if limit < 1<<20 && spills < 2 {
			t.Fatalf("limit %d: %d spills, want several", limit, spills)
		}
		for r := range want {
			if !slices.Equal(got[r], want[r]) {
				t.Fatalf("limit %d: partition %d differs from a stable sort", limit, r)
			}
		}
	}
}

// A key's long run of equal values costs Combine about sqrt(n) of them,
// not all, and the result is the same; also when Combine writes its
// result into the slice it is given.
func TestCombineLongRunOnce(t *testing.T) {
	var given int
	inPlace := func(_ string, vs []string) []string {
		given += len(vs)
		n := 0
		for _, v := range vs {
			k, _ := strconv.Atoi(v)
			n += k
		}
		vs[0] = strconv.Itoa(n)
		return vs[:1]
	}
	const n = 100*combineBatch + 7
	var kvs []KeyValue
	for i := range n {
		kvs = append(kvs, KeyValue{"the", "1"})
		if i%(10*combineBatch) == 0 {
			kvs = append(kvs, KeyValue{"a", "2"}, KeyValue{"the", "3"})
		}
	}
	got, _ := runMapOutput(t, kvs, 64<<20, inPlace)
	want := map[string]string{"the": strconv.Itoa(n + 3*11), "a": "22"}
	seen := 0
	for _, p := range got {
		for _, kv := range p {
			if seen++; kv.Value != want[kv.Key] {
				t.Errorf("%s = %s, want %s", kv.Key, kv.Value, want[kv.Key])
			}
		}
	}
	if seen != 2 || given > 3*combineBatch { // 11 runs of about 10,000: some 250 values each
		t.Fatalf("%d records, Combine given %d values for %d", seen, given, len(kvs))
	}
}

// dealOut groups entries by their tags in place, keeping them all.
func TestDealOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 10, 1000} {
		for _, parts := range []int{1, 2, 7} {
			es := make([]entry, n)
			counts := make([]int, parts)
			sum := 0
			for i := range es {
				es[i].tag, es[i].n = uint32(rng.IntN(parts)), uint32(i)
				counts[es[i].tag]++
				sum += i
			}
			dealOut(es, counts)
			for i := range es {
				sum -= int(es[i].n)
				if i > 0 && es[i].tag < es[i-1].tag {
					t.Fatalf("n=%d, %d parts: tag %d after %d", n, parts, es[i].tag, es[i-1].tag)
				}
			}
			if sum != 0 {
				t.Fatalf("n=%d, %d parts: entries lost or repeated", n, parts)
			}
		}
	}
}

// The spills are one file, however many partitions and spills: creating
// a file costs more than a small run's records.
func TestSpillIsOneFile(t *testing.T) {
	dir := t.TempDir()
	o := New(7, 4<<10, nil, spillTo(dir))
	for i := range 2000 {
		o.Emit(fmt.Sprintf("key-%d", i), "v")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if o.spills < 2 || len(files) != 1 {
		t.Fatalf("%d spills in %d files (%v), want several in one", o.spills, len(files), files)
	}
	if _, err := o.Finish(filepath.Join(dir, "final")); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "spill-*")); len(left) > 0 {
		t.Fatalf("spill files left: %v", left)
	}
}

// Reserve sizes the index for a number of keys, once, before any record,
// within the buffer; the output is the same with or without it.
func TestReserve(t *testing.T) {
	kvs := make([]KeyValue, 5000)
	for i := range kvs {
		kvs[i] = KeyValue{fmt.Sprintf("k%d", i%3000), "1"}
	}
	var want [][]KeyValue
	for _, keys := range []int{0, 3000, 15000, 1 << 20} { // 15000: an index of 4/5 of the buffer
		dir := t.TempDir()
		o := New(3, 1<<20, nil, spillTo(dir))
		o.Reserve(keys)
		switch n := len(o.gs.entries); {
		case (keys == 3000 || keys == 15000) && (n/4*3 < keys || n > keys*2):
			t.Fatalf("Reserve(%d): %d entries", keys, n)
		case keys != 3000 && keys != 15000 && n != minIndex:
			t.Fatalf("Reserve(%d): %d entries, want none reserved", keys, n)
		}
		for _, kv := range kvs {
			o.Emit(kv.Key, kv.Value)
		}
		o.Reserve(1 << 10) // too late: does nothing
		infos, err := o.Finish(filepath.Join(dir, "final"))
		if err != nil {
			t.Fatal(err)
		}
		if st := o.Stats(infos); st.Keys != 3000 {
			t.Errorf("Reserve(%d): Stats.Keys %d, want 3000", keys, st.Keys)
		}
		got := make([][]KeyValue, 3)
		for r := range got {
			if got[r], err = readSection(filepath.Join(dir, "final"), r); err != nil {
				t.Fatal(err)
			}
		}
		if want == nil {
			want = got
		} else if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("Reserve(%d): another output", keys)
		}
	}
}

// Keys that each have one value, as uniq's lines, come out of the merge
// of the spills as they went in, Combine or not, beside keys with many.
func TestMapOutputLoneValuesThroughSpills(t *testing.T) {
	var kvs []KeyValue
	for i := range 3000 {
		kvs = append(kvs, KeyValue{fmt.Sprintf("line %d of a text", i), "1"})
		if i%10 == 0 {
			kvs = append(kvs, KeyValue{"common", strconv.Itoa(i)})
		}
	}
	got, spills := runMapOutput(t, kvs, 32<<10, joinValues)
	if spills < 2 {
		t.Fatalf("%d spills, want several", spills)
	}
	want := stableSortByPartition(kvs, 3)
	for r := range want {
		if !slices.Equal(splitJoined(got[r]), want[r]) {
			t.Fatalf("partition %d differs from a stable sort", r)
		}
	}
}

// TestCombineMayKeepItsKeys: the keys Combine gets are strings of their
// own, never written again, even those the output writes from a buffer
// it reuses (keyText): a Combine that keeps them (in a map, say) still
// reads them as they were, with and without spills.
func TestCombineMayKeepItsKeys(t *testing.T) {
	for _, limit := range []int64{1 << 30, 24 << 10} {
		type kept struct{ key, copy string }
		var keys []kept
		combine := func(key string, vs []string) []string {
			keys = append(keys, kept{key, strings.Clone(key)})
			return []string{strings.Join(vs, "+")}
		}
		var kvs []KeyValue
		for i := range 2000 {
			for range 2 { // two values: written through Combine
				kvs = append(kvs, KeyValue{fmt.Sprintf("key number %d, a long one", i), "v"})
			}
		}
		_, spills := runMapOutput(t, kvs, limit, combine)
		if limit < 1<<30 && spills < 2 {
			t.Fatalf("%d spills, want several", spills)
		}
		if len(keys) < 2000 {
			t.Fatalf("Combine saw %d keys, want every key's", len(keys))
		}
		for _, k := range keys {
			if k.key != k.copy {
				t.Fatalf("limit %d: a key Combine kept changed from %q to %q", limit, k.copy, k.key)
			}
		}
	}
}

// prefixAt reads the 8 bytes from off, zero-padded, whatever the key's
// length around off.
func TestPrefixAt(t *testing.T) {
	k := []byte("abcdefghijklmnopqrstuvwxyz")
	for n := range len(k) + 1 {
		for off := 0; off <= n+1; off++ {
			var want [8]byte
			if off < n {
				copy(want[:], k[off:n])
			}
			if got := prefixAt(k[:n], off); got != binary.BigEndian.Uint64(want[:]) {
				t.Fatalf("prefixAt(%q, %d) = %x, want %x", k[:n], off, got, want)
			}
		}
	}
}

// Detach: values emitted from a buffer the app then overwrites (as a
// split's memory is reused once the output no longer points into it)
// come out as emitted, with or without a combiner, in a buffer grouped
// by key or held in order, and a value detached twice stays right.
func TestDetachedValuesOutliveTheirBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i, combine := range []func(string, []string) []string{nil, joinValues, nil} {
		kvs := randomRecords(rng, 3000)
		if i == 2 { // every key distinct: buffers after the first spill are held in order
			for j := range kvs {
				kvs[j].Key = fmt.Sprintf("%s-%d", kvs[j].Key, j)
			}
		}
		dir := t.TempDir()
		o := New(3, 16<<10, plain(combine), spillTo(dir))
		for half := range 2 {
			var text []byte // every value of this half, back to back
			for _, kv := range kvs[half*1500 : half*1500+1500] {
				text = append(text, kv.Value...)
			}
			at := 0
			for _, kv := range kvs[half*1500 : half*1500+1500] {
				v := unsafe.String(unsafe.SliceData(text[at:]), len(kv.Value))
				o.Emit(kv.Key, v)
				at += len(kv.Value)
			}
			o.Detach()
			for j := range text {
				text[j] = '#'
			}
		}
		finishAsSorted(t, o, dir, kvs, combine != nil, fmt.Sprintf("case %d", i))
	}
}

// finishAsSorted finishes o, of 3 partitions, in dir and checks each
// partition against a stable sort of kvs by key (with joined, the values
// joinValues joined split again); what names the case in a failure.
func finishAsSorted(t *testing.T, o *Output, dir string, kvs []KeyValue, joined bool, what string) {
	t.Helper()
	final := filepath.Join(dir, "final")
	if _, err := o.Finish(final); err != nil {
		t.Fatal(err)
	}
	want := stableSortByPartition(kvs, 3)
	for r := range want {
		got, err := readSection(final, r)
		if err != nil {
			t.Fatal(err)
		}
		if joined {
			got = splitJoined(got)
		}
		if !slices.Equal(got, want[r]) {
			t.Fatalf("%s: partition %d (%d records) differs from a stable sort (%d)", what, r, len(got), len(want[r]))
		}
	}
}
