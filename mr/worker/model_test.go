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
		r.Partitioning = protocol.Partitioning
		if _, err := checkModel(&r); err == nil {
			t.Errorf("checkModel(%+v) accepted it", r)
		}
	}
	good := protocol.RegisterReply{NReduce: 3, Cuts: []string{"a", "a"}, Params: map[string]string{"p": "v"},
		Partitioning: protocol.Partitioning, PartitionSeed: 42}
	m, err := checkModel(&good)
	if err != nil || len(m.cuts) != 2 || m.params["p"] != "v" || m.seed != 42 {
		t.Fatalf("checkModel = %+v, %v", m, err)
	}
	// A coordinator of a build that partitions otherwise (one before the
	// seeded hash says nothing) is refused, naming why.
	for _, p := range []int{0, protocol.Partitioning + 1} {
		old := good
		old.Partitioning = p
		if _, err := checkModel(&old); err == nil || !strings.Contains(err.Error(), "partitions keys as another build") {
			t.Errorf("partitioning %d: checkModel = %v", p, err)
		}
	}
}
