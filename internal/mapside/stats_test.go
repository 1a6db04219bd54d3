// Tests of a map task's statistics: records emitted and written, bytes, spills.

package mapside

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestOutputStats(t *testing.T) {
	var kvs []KeyValue
	for i := range 5000 {
		kvs = append(kvs, KeyValue{fmt.Sprint("k", i%50), "1"})
	}
	sum := func(k string, vs []string) []string { return []string{fmt.Sprint(len(vs))} } // wrong sum, right count
	dir := t.TempDir()
	o := New(3, 2<<10, plain(sum), spillTo(dir))
	for _, kv := range kvs {
		o.Emit(kv.Key, kv.Value)
	}
	runs, err := o.Finish(filepath.Join(dir, "final"))
	if err != nil {
		t.Fatal(err)
	}
	st := o.Stats(runs)
	if st.Emitted != 5000 || st.Written != 50 || st.Spilled == 0 || st.Bytes == 0 {
		t.Fatalf("stats %+v after %d spills", st, o.spills)
	}
}
