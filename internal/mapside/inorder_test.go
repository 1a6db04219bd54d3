package mapside

import (
	"fmt"
	"strings"
	"testing"
)

// inOrderRecords are a task's records whose first part is distinct keys,
// short and long, with now and then a key emitted again (a value of its
// own each time, numbered), and one key emitted 40 times among them; then
// a part where every key comes 3 times; then distinct keys again.
func inOrderRecords() (first, repeated, last []KeyValue) {
	key := func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf("a long line of the text, number %d", i)
		}
		return fmt.Sprintf("line %d", i)
	}
	for i := range 20000 {
		first = append(first, KeyValue{key(i), "1"})
		if i%50 == 49 {
			first = append(first, KeyValue{key(i - 7), fmt.Sprintf("again %d", i)})
		}
		if i >= 5000 && i%100 == 0 && i < 9000 {
			first = append(first, KeyValue{"the same line", fmt.Sprintf("copy %02d", i/100-50)})
		}
	}
	for i := range 6000 {
		for j := range 3 {
			repeated = append(repeated, KeyValue{key(100000 + i), fmt.Sprint(j)})
		}
	}
	for i := range 6000 {
		last = append(last, KeyValue{key(200000 + i), "1"})
	}
	return first, repeated, last
}

// Once a spill shows the keys nearly distinct, the next buffers are held
// in order; a buffer that repeats its keys sends the next one back to the
// index; and the output is a stable sort of the records all the same,
// without a combiner and with one, whose keys come in the order they were
// emitted (a key emitted 40 times in one buffer keeps its values' order).
func TestBuffersHeldInOrder(t *testing.T) {
	first, repeated, last := inOrderRecords()
	for _, combine := range []func(string, []string) []string{nil, joinValues} {
		dir := t.TempDir()
		o := New(3, 192<<10, plain(combine), spillTo(dir))
		var kvs []KeyValue
		emit := func(part []KeyValue) {
			for _, kv := range part {
				o.Emit(kv.Key, kv.Value)
			}
			kvs = append(kvs, part...)
		}
		emit(first)
		if !o.gs.inOrder || o.spills < 3 {
			t.Fatalf("combine %v: after %d spills of distinct keys, the buffer is not held in order", combine != nil, o.spills)
		}
		spills := o.spills
		emit(repeated)
		if o.gs.inOrder || o.spills < spills+2 {
			t.Fatalf("combine %v: after %d spills of keys 3 times each, the buffer is still held in order", combine != nil, o.spills-spills)
		}
		emit(last)
		if !o.gs.inOrder {
			t.Fatalf("combine %v: distinct keys again, and the buffer is not held in order", combine != nil)
		}
		finishAsSorted(t, o, dir, kvs, combine != nil, fmt.Sprintf("combine %v", combine != nil))
	}
}

// A buffer held in order grows as records come, and its size estimate
// counts every entry and key it holds.
func TestBufferHeldInOrderGrows(t *testing.T) {
	o := New(3, 1<<30, nil, spillTo(t.TempDir()))
	o.distinct = true
	o.empty()
	var text int64
	for i := range 10000 {
		k := fmt.Sprintf("a key long enough to be kept apart, %d", i)
		o.Emit(k, "1")
		text += int64(len(k))
	}
	if !o.gs.inOrder || o.gs.used != 10000 || len(o.gs.entries) < 10000 {
		t.Fatalf("in order %v, %d entries used of %d", o.gs.inOrder, o.gs.used, len(o.gs.entries))
	}
	if want := int64(len(o.gs.entries))*slotBytes + text + 1; o.size != want {
		t.Fatalf("size %d, want %d (entries, keys and the common value)", o.size, want)
	}
	if got := o.gs.keyText([]int32{9999, 0}); !strings.HasSuffix(got, "9999a key long enough to be kept apart, 0") {
		t.Fatalf("keys %q", got)
	}
}
