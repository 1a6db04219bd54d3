// model_test.go: the paper's two benchmarks as real jobs: grep (map-only,
// its pattern a job parameter) and sort (total order).

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// grep is map-only: mr-grep-all is mrsequential -nreduce 0's output, in
// input order, one mr-out-X per map task, and the parameter is in the
// summary.
func TestGrepMapOnly(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	pattern := "pattern=th[a-z]+st\\b"
	j.run("grep", 2, "-nreduce", "0", "-param", pattern, "-wait-workers", "2") // a quick job: no worker may come after it ended
	j.finish()
	all, err := os.ReadFile(j.path("out", "mr-grep-all"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "mrsequential"), "-nreduce", "0", "-param", pattern, "-o", j.path("ref"),
		filepath.Join(binDir, "grep.so"))
	cmd.Args = append(cmd.Args, j.inputs...)
	cmd.Dir = j.path("coord")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mrsequential: %v: %s", err, out)
	}
	want, _ := os.ReadFile(j.path("ref"))
	if len(want) == 0 || !bytes.Equal(all, want) {
		t.Fatalf("mr-grep-all (%d bytes) differs from mrsequential -nreduce 0's (%d bytes)", len(all), len(want))
	}
	var parts []byte
	for x := range j.inputs {
		b, err := os.ReadFile(j.path("out", fmt.Sprintf("mr-out-%d", x)))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && !bytes.HasPrefix(b, []byte(j.inputs[x]+":")) {
			t.Fatalf("mr-out-%d starts %.40q, want the matches of %s", x, b, j.inputs[x])
		}
		parts = append(parts, b...)
	}
	if !bytes.Equal(parts, all) {
		t.Fatal("mr-grep-all is not the concatenation of the mr-out-X in input order")
	}
	if sum := j.summary("grep"); sum.Model == nil || !sum.Model.MapOnly || sum.Model.Params["pattern"] != "th[a-z]+st\\b" {
		t.Fatalf("summary model %+v", sum.Model)
	}
}

// sort in total order writes the records of mrgen -records as
// LC_ALL=C sort does (bytewise), each mr-out-Y one range of keys.
func TestSortTotalOrder(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	recs := j.path("coord", "recs")
	if out, err := exec.Command(filepath.Join(binDir, "mrgen"), "-records", "60000", "-files", "3", "-out", recs).CombinedOutput(); err != nil {
		t.Fatalf("mrgen -records: %v: %s", err, out)
	}
	j.inputs = []string{"recs/input-1.txt", "recs/input-2.txt", "recs/input-3.txt"}
	var records []byte
	for _, in := range j.inputs {
		b, err := os.ReadFile(j.path("coord", in))
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, b...)
	}
	j.run("sort", 2, "-wait-workers", "2", "-nreduce", "4", "-total-order", "-app", filepath.Join(binDir, "sort.so"), "-split-size", "1000000")
	j.finish()
	all, err := os.ReadFile(j.path("out", "mr-sort-all"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all, sortedLines(records)) {
		t.Fatalf("mr-sort-all (%d bytes) is not the records sorted bytewise (%d bytes)", len(all), len(records))
	}
	last := ""
	for y := range 4 {
		b, _ := os.ReadFile(j.path("out", fmt.Sprintf("mr-out-%d", y)))
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(b) == 0 || lines[0] <= last {
			t.Fatalf("mr-out-%d starts %.10q after %.10q: not one range after the last", y, lines[0], last)
		}
		last = lines[len(lines)-1]
	}
	to := j.summary("sort").Model.TotalOrder
	if to == nil || to.Cuts != 3 || to.Keys == 0 || to.Skew < 1 || to.Skew > 1.5 {
		t.Fatalf("summary total order %+v", to)
	}
}
