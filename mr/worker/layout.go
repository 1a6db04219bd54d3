// A worker's file names, all defined here. Nothing is ever named after a
// string a peer sent: every name is built from numbers.
//
// A worker's directory (-dir):
//
//	mr-X.aN                  map attempt N of task X's output: a sections file of
//	                         R runs (or R per spill, runfile's groups.go), served
//	                         (POST /runs) once the report is accepted
//	split-X.aN               map attempt N of task X's input, for its executor
//	spill-X.aN-K             that attempt's spills, one run per partition each (K
//	                         counts the times they were merged into one)
//	reduce-Y.aN/             a reduce attempt's fetched runs (owner-O.runs, map-X.runs),
//	                         merge passes, output
//	.NAME.*.tmp              any of them being written (atomicfile)

package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"mapreduce/internal/protocol"
)

// runPath is where a worker keeps the output of map attempt n of task m.
func runPath(dir string, m, n int) string {
	return filepath.Join(dir, "mr-"+strconv.Itoa(m)+".a"+strconv.Itoa(n))
}

// splitPath is where a map attempt's split waits for its executor.
func splitPath(dir string, task, n int) string {
	return filepath.Join(dir, fmt.Sprintf("split-%d.a%d", task, n))
}

// spillPrefix is where a map attempt's spills go: the prefix followed by
// "-K", a grouped sections file, K counting the times they were merged.
func spillPrefix(dir string, task, n int) string {
	return filepath.Join(dir, fmt.Sprintf("spill-%d.a%d", task, n))
}

// workDir is a streaming attempt's working directory: "cwd-map-3.a1".
func workDir(dir string, a protocol.Attempt) string { return filepath.Join(dir, "cwd-"+a.String()) }

// reduceDir is a reduce attempt's scratch directory: "reduce-3.a1".
func reduceDir(dir string, a protocol.Attempt) string { return filepath.Join(dir, a.String()) }

// workerGlobs match everything a worker may leave in a directory it was
// given, temp files included.
var workerGlobs = []string{"mr-*.a*", ".mr-*.a*.tmp", "reduce-*.a*", "spill-*", ".spill-*.tmp", "split-*", ".split-*.tmp", "cwd-*"}

// removeAttemptFiles removes what a failed attempt may have left in dir.
func removeAttemptFiles(dir string, a protocol.Attempt) {
	var patterns []string
	if a.Kind == protocol.MapTask {
		patterns = []string{fmt.Sprintf("mr-%d.a%d", a.Task, a.N), fmt.Sprintf(".mr-%d.a%d.*.tmp", a.Task, a.N),
			fmt.Sprintf("spill-%d.a%d-*", a.Task, a.N), fmt.Sprintf(".spill-%d.a%d-*.tmp", a.Task, a.N)}
	}
	for _, pattern := range patterns {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			os.Remove(m)
		}
	}
	os.RemoveAll(workDir(dir, a))
	if a.Kind == protocol.MapTask {
		os.Remove(splitPath(dir, a.Task, a.N))
	} else {
		os.RemoveAll(reduceDir(dir, a))
	}
}

// removeFile removes a scratch file, if it is there.
func removeFile(path string) { os.Remove(path) }

// removeWorkerFiles removes what a worker put in dir, and nothing else.
func removeWorkerFiles(dir string) {
	for _, pattern := range workerGlobs {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
}
