// cluster_test.go: runCluster against fake coordinator and worker
// programs (shell scripts): what it starts, waits for and reports.
package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin writes a fake mrcoordinator (it writes its address, an output
// and a summary of 3 maps, then exits with $FAKE_COORD_EXIT) and a fake
// mrworker (it checks COORDINATOR_HOST, and exits with $FAKE_WORKER_EXIT;
// as a pool worker it waits to be stopped) into a directory.
func fakeBin(t *testing.T) string {
	bin := t.TempDir()
	coord := `#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -addr-file) a=$2; shift ;; -out) o=$2; shift ;; esac; shift; done
echo 127.0.0.1:7 > "$a"
echo 'x 1' > "$o/mr-wc-all"
echo '{"maps": 3}' > "$o/mr-wc-summary.json"
exit ${FAKE_COORD_EXIT:-0}
`
	worker := `#!/bin/sh
[ "$COORDINATOR_HOST" = 127.0.0.1:7 ] || exit 9
[ "$1" = -insecure-accept-code ] && exec sleep 60
exit ${FAKE_WORKER_EXIT:-0}
`
	for name, text := range map[string]string{"mrcoordinator": coord, "mrworker": worker} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

func TestRunClusterWaitsForEveryWorker(t *testing.T) {
	bin, dir := fakeBin(t), t.TempDir()
	s, out, err := runCluster(bin, job{plugin: "wc.so", workers: 3}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dir, "out", "mr-wc-all") || s.maps != 3 || len(s.workers) != 3 {
		t.Errorf("output %s, %d maps, %d workers' RSS; want mr-wc-all, 3, 3", out, s.maps, len(s.workers))
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if _, err := os.Stat(filepath.Join(dir, w, "worker.log")); err != nil {
			t.Errorf("worker %s did not run in its own directory: %v", w, err)
		}
	}
}

func TestRunClusterStopsPoolWorkers(t *testing.T) {
	s, _, err := runCluster(fakeBin(t), job{workers: 2}, t.TempDir())
	if err != nil || len(s.workers) != 2 {
		t.Errorf("%d workers, %v; want 2 stopped, no error", len(s.workers), err)
	}
}

func TestRunClusterFailures(t *testing.T) {
	t.Setenv("FAKE_WORKER_EXIT", "4")
	_, _, err := runCluster(fakeBin(t), job{plugin: "wc.so", workers: 2}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "worker 1") {
		t.Errorf("a worker failed: err %v, want it named", err)
	}
	t.Setenv("FAKE_WORKER_EXIT", "0")
	t.Setenv("FAKE_COORD_EXIT", "1")
	_, _, err = runCluster(fakeBin(t), job{plugin: "wc.so", workers: 2}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "coordinator.log") {
		t.Errorf("the coordinator failed: err %v, want its log named", err)
	}
}
