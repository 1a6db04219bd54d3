// cluster_test.go: runCluster against fake coordinator and worker
// programs (shell scripts): what it starts, waits for and reports.
package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeBin writes a fake mrcoordinator (it writes its address, an output
// and a summary of 3 maps, notes its own path in $FAKE_RUNS if set, then
// exits with $FAKE_COORD_EXIT) and a fake mrworker (it checks
// COORDINATOR_HOST, and exits with $FAKE_WORKER_EXIT; as a pool worker it
// waits to be stopped) into a directory.
func fakeBin(t *testing.T) string { return fakeBinWriting(t, "x 1") }

// fakeBinWriting is fakeBin whose coordinator writes the output line.
func fakeBinWriting(t *testing.T, line string) string {
	bin := t.TempDir()
	coord := `#!/bin/sh
[ -n "$FAKE_RUNS" ] && echo "$0" >> "$FAKE_RUNS"
while [ $# -gt 0 ]; do case $1 in -addr-file) a=$2; shift ;; -out) o=$2; shift ;; esac; shift; done
echo 127.0.0.1:7 > "$a"
echo '` + line + `' > "$o/mr-wc-all"
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

// A job run on another build takes that build's plugins, for the workers
// and for the coordinator's -app, and nothing else of it changes.
func TestJobInTakesTheOtherBuildsPlugins(t *testing.T) {
	j := job{plugin: "/a/uniq.so", workers: 2, flags: []string{"-total-order", "-app", "/a/uniq.so", "-nreduce", "8"}}
	got := j.in("/b")
	want := []string{"-total-order", "-app", "/b/uniq.so", "-nreduce", "8"}
	if got.plugin != "/b/uniq.so" || !slices.Equal(got.flags, want) || got.workers != 2 {
		t.Errorf("in(/b) = %+v, want plugin /b/uniq.so and flags %q", got, want)
	}
	if j.flags[2] != "/a/uniq.so" {
		t.Errorf("in changed the job it was called on: %q", j.flags)
	}
}

// With -against, a row pairs this build's cluster with the other build's,
// in turn, and checks both builds' outputs against the reference's, run
// once first.
func TestAgainstPairsTheTwoBuildsCheckedByTheReference(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	t.Setenv("FAKE_RUNS", runs)
	this, other := fakeBin(t), fakeBin(t)
	b := &bench{cfg: config{rounds: 2, warmup: 1, against: other}, bin: this, log: io.Discard}
	j := job{plugin: filepath.Join(this, "wc.so"), workers: 1}
	dir := t.TempDir()
	ref, name, want, err := b.versus(dir, j, fileSide("limit", "x 1\n"), "limit", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.pair(dir, b.clusterSide("wc", j), ref, want); err != nil {
		t.Fatal(err)
	}
	if name != "-against "+filepath.Base(other) {
		t.Errorf("the reference is named %q", name)
	}
	got, _ := os.ReadFile(runs)
	var order []string
	for _, path := range strings.Fields(string(got)) {
		order = append(order, map[string]string{this: "this", other: "other"}[filepath.Dir(path)])
	}
	if w := []string{"this", "other", "this", "other", "this", "other"}; !slices.Equal(order, w) {
		t.Errorf("coordinators ran in the order %q, want %q", order, w)
	}
	b.cfg.against = fakeBinWriting(t, "y 1")
	ref, _, want, err = b.versus(t.TempDir(), j, fileSide("limit", "x 1\n"), "limit", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.pair(t.TempDir(), b.clusterSide("wc", j), ref, want); err == nil || !strings.Contains(err.Error(), "OUTPUTS DIFFER: -against") {
		t.Errorf("the other build's output differed from the reference's: err %v", err)
	}
}
