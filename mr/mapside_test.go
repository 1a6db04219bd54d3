package mr

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mapreduce/mr/internal/runfile"
)

// runMapOutput feeds records through a mapOutput with the given buffer
// limit and returns each partition's final records.
func runMapOutput(t *testing.T, kvs []KeyValue, limit int64, combine func(string, []string) []string) ([][]KeyValue, int) {
	t.Helper()
	dir := t.TempDir()
	o := newMapOutput(3, limit, combine, spillPath(dir, 0, 1))
	for _, kv := range kvs {
		o.emit(kv.Key, kv.Value)
	}
	final := func(r int) string { return filepath.Join(dir, fmt.Sprintf("final-%d", r)) }
	runs, err := o.finish(final)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]KeyValue, 3)
	for r := range out {
		if out[r], err = readRun(final(r)); err != nil {
			t.Fatalf("partition %d: %v", r, err)
		}
		if size, crc, _ := runfile.Checksum(final(r)); size != runs[r].Size || crc != runs[r].CRC {
			t.Fatalf("partition %d: %d bytes crc %08x, report says %+v", r, size, crc, runs[r])
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*spill*")); len(left) > 0 {
		t.Fatalf("spill files left: %v", left)
	}
	return out, o.spills
}

// readRun returns the records of the run file at path.
func readRun(path string) ([]KeyValue, error) {
	runs, closeAll, err := runfile.OpenAll([]string{path})
	if err != nil {
		return nil, err
	}
	defer closeAll()
	var kvs []KeyValue
	for runs[0].Next() {
		kvs = append(kvs, KeyValue{string(runs[0].Key()), string(runs[0].Value())})
	}
	return kvs, runs[0].Err()
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
		r := ihash(kv.Key) % 3
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

func TestCombinePanicIsAnAppError(t *testing.T) {
	o := newMapOutput(1, 64<<20, func(string, []string) []string { panic("boom") }, spillPath(t.TempDir(), 0, 1))
	o.emit("k", "v")
	_, err := o.finish(func(int) string { return filepath.Join(t.TempDir(), "out") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
}

// ihash is FNV-1a: the partition of every key stays what it always was.
func TestIhashIsFNV1a(t *testing.T) {
	for _, k := range []string{"", "a", "the", "straße", "\x00\xff", strings.Repeat("xyz", 100)} {
		h := fnv.New32a()
		h.Write([]byte(k))
		if got, want := ihash(k), int(h.Sum32()&0x7fffffff); got != want {
			t.Errorf("ihash(%q) = %d, want %d", k, got, want)
		}
	}
}
