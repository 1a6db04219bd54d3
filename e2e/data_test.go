// data_test.go: inputs where they live, on real processes: a coordinator
// holding only the inputs' manifest (bin/mrmanifest), and workers whose
// -data directories hold each input on 2 of 3 of them.

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDataWhereItLives: the output is mrsequential's (indexer: Map sees
// the manifest's names, as mrsequential run where the inputs are), no
// byte comes from the coordinator, and the summary says where each map
// read its input.
func TestDataWhereItLives(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	manifest := j.path("corpus.manifest")
	cmd := exec.Command(filepath.Join(binDir, "mrmanifest"), "-o", manifest, inDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mrmanifest: %v: %s", err, lastLine(out))
	}
	j.inputs = nil // the coordinator holds the manifest alone
	j.startCoordinator("-manifest", manifest, "-wait-workers", "3")
	for w := 1; w <= 3; w++ {
		data := j.path(fmt.Sprintf("data%d", w))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, in := range inputs {
			if i%3 != w-1 {
				if err := os.Link(filepath.Join(inDir, in), filepath.Join(data, in)); err != nil {
					t.Fatal(err)
				}
			}
		}
		j.startWorker(fmt.Sprintf("w%d", w), "indexer", "-data", data)
	}
	j.finish()
	j.checkOutputs("indexer")
	s := j.summary("indexer")
	c := s.Counters
	if c.CoordinatorBytes != 0 || c.LocalBytes+c.PeerBytes != c.MapInputBytes || c.LocalMaps+c.PeerMaps != int64(s.Maps) {
		t.Fatalf("map input: %d bytes local, %d from peers, %d from the coordinator, of %d; maps %d local, %d from peers, of %d",
			c.LocalBytes, c.PeerBytes, c.CoordinatorBytes, c.MapInputBytes, c.LocalMaps, c.PeerMaps, s.Maps)
	}
	for _, w := range s.Workers {
		if w.Holds == 0 {
			t.Errorf("worker %s holds no input, says the summary", w.ID)
		}
	}
}
