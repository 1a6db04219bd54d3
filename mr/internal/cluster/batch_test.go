// A job of many reduce tasks hands them out in batches: its outputs are
// the same, file for file, as when they go one by one, and its summary
// still lists every task with its own attempt.

package cluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestBatchedReducesEqualOneByOne(t *testing.T) {
	inputs := Inputs(t, 3)
	outs := map[int]string{}
	for _, batch := range []int{0, 1} { // 0: the default, batches; 1: one by one
		cfg := Config(t.TempDir())
		cfg.NReduce, cfg.ReduceBatch = 300, batch
		cl := Start(t, cfg, inputs, WordCount(), 2)
		if err := cl.Wait(); err != nil {
			t.Fatal(err)
		}
		cl.CheckOutput(inputs)
		outs[batch] = cfg.OutDir
		sum := cl.C.Summary()
		together := map[string]int{} // reduce attempts by worker and start
		for _, ts := range sum.Tasks {
			if len(ts.Attempts) != 1 || ts.Winner != ts.Attempts[0].ID {
				t.Errorf("batch %d: %s: %d attempts, winner %q", batch, ts.Task, len(ts.Attempts), ts.Winner)
			}
			if a := ts.Attempts[0]; strings.HasPrefix(ts.Task, "reduce-") {
				together[a.Worker+" "+a.Start]++
			}
		}
		most := 0
		for _, n := range together {
			most = max(most, n)
		}
		if batch == 0 && most < 4 {
			t.Errorf("batched: at most %d reduce attempts started together on a worker; want batches", most)
		}
	}
	for r := range 300 {
		name := "mr-out-" + strconv.Itoa(r)
		a, errA := os.ReadFile(filepath.Join(outs[0], name))
		b, errB := os.ReadFile(filepath.Join(outs[1], name))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Fatalf("%s differs batched and one by one (%v, %v)", name, errA, errB)
		}
	}
}
