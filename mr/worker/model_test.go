// model_test.go: a registration's shape is checked before use.

package worker

import (
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// A registration's parameters and cut points are checked before use: a
// broken or hostile coordinator cannot hand a worker unbounded or
// unordered ones.
func TestCheckModelRefusesBadShapes(t *testing.T) {
	for _, r := range []protocol.RegisterReply{
		{NReduce: 3, Cuts: []string{"b", "a"}},
		{NReduce: 3, Cuts: []string{"a"}},
		{NReduce: 2, Cuts: []string{strings.Repeat("k", protocol.CutKeyLimit(2)+1)}},
		{NReduce: 2, Cuts: []string{"a"}, MapOnly: true},
		{NReduce: 2, Params: map[string]string{"x": strings.Repeat("v", 1<<20)}},
		{NReduce: 2, Params: map[string]string{"a/b": "v"}},
	} {
		if _, err := checkModel(&r); err == nil {
			t.Errorf("checkModel(%+v) accepted it", r)
		}
	}
	m, err := checkModel(&protocol.RegisterReply{NReduce: 3, Cuts: []string{"a", "a"}, Params: map[string]string{"p": "v"}})
	if err != nil || len(m.cuts) != 2 || m.params["p"] != "v" {
		t.Fatalf("checkModel = %+v, %v", m, err)
	}
}
