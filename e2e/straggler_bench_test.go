// straggler_bench_test.go: what one slow machine costs a job, healthy
// workers against one slowed by SIGSTOP and SIGCONT.

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStraggler is what one slow machine costs a job (paper §3.6):
// word count (straggler.so without its markers) over 24 generated files
// of 8 MiB on a coordinator and 3 workers over loopback, first healthy,
// then with w1 and its app's processes slowed 3 times by a SIGSTOP and
// SIGCONT duty cycle (it runs 100 ms out of every 300 ms). With backups of
// the attempts expected to finish last, the fast workers take over the
// slow one's last tasks, and the ratio stays near 1 (target: at most
// 1.3). It reports each job's mean seconds, from the coordinator's start
// to its exit, and their ratio; it fails only when a job does.
// MR_BENCH_FILES, MR_BENCH_FILE_SIZE and MR_BENCH_SLOW change the corpus
// and the slowdown. The jobs run binaries built without -race:
//
//	go test -run '^$' -bench Straggler -benchtime 3x ./e2e/
func BenchmarkStraggler(b *testing.B) {
	skipShort(b)
	bin := plainBinaries(b)
	dir, names := straggleCorpus(b)
	slow := atoi(envOr("MR_BENCH_SLOW", "3"))
	var healthy, slowed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, s := straggleJob(b, bin, dir, names, 1), straggleJob(b, bin, dir, names, slow)
		b.Logf("run %d: healthy %.2fs, one worker %dx slower %.2fs", i+1, h.Seconds(), slow, s.Seconds())
		healthy, slowed = healthy+h, slowed+s
	}
	b.ReportMetric(healthy.Seconds()/float64(b.N), "healthy-s/op")
	b.ReportMetric(slowed.Seconds()/float64(b.N), "slowed-s/op")
	b.ReportMetric(slowed.Seconds()/healthy.Seconds(), "ratio")
}

// straggleCorpus generates the benchmark's inputs, once per benchmark.
func straggleCorpus(b *testing.B) (dir string, names []string) {
	dir, files := b.TempDir(), atoi(envOr("MR_BENCH_FILES", "24"))
	out, err := exec.Command(filepath.Join(binDir, "mrgen"), "-out", dir, "-files", fmt.Sprint(files),
		"-size", envOr("MR_BENCH_FILE_SIZE", "8M"), "-seed", "7", "-prefix", "in-").CombinedOutput()
	if err != nil {
		b.Fatalf("mrgen: %v: %s", err, out)
	}
	for i := 1; i <= files; i++ {
		names = append(names, fmt.Sprintf("in-%d.txt", i))
	}
	return dir, names
}

// straggleJob runs one job on the corpus, with w1 slowed slow times when
// slow > 1, and returns its time.
func straggleJob(b *testing.B, bin, dir string, names []string, slow int) time.Duration {
	b.StopTimer()
	j := newJob(b)
	j.bin, j.apps, j.inputs = bin, bin, names
	for _, n := range names {
		if err := os.Link(filepath.Join(dir, n), j.path("coord", n)); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	start := time.Now()
	j.run("straggler", 3, "-pack-size", "0") // the default packing
	if slow > 1 {
		defer dutyCycle(j.workers[0], slow)()
	}
	j.coord.mustExit(b, jobTimeout, 0)
	return time.Since(start)
}

// dutyCycle lets p's process group run 100 ms out of every slow x 100 ms
// until p exits or the returned stop is called; p then runs freely.
func dutyCycle(p *proc, slow int) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	pause := func(d time.Duration) bool {
		select {
		case <-done:
		case <-p.done:
		case <-time.After(d):
			return true
		}
		return false
	}
	go func() {
		defer close(finished)
		for pause(100 * time.Millisecond) {
			p.signal(syscall.SIGSTOP)
			ok := pause(time.Duration(slow-1) * 100 * time.Millisecond)
			p.signal(syscall.SIGCONT)
			if !ok {
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}
