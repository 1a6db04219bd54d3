package mr

// File names, all defined here. Nothing is ever named after a string a
// peer sent: every name is built from numbers and the job's app name.
//
// The coordinator's -out directory:
//
//	mr-out-Y                 reduce task Y's output, text
//	mr-<app>-all             every reduce output merged by key, text
//	mr-<app>-summary.json    the job summary
//	.NAME.*.tmp              any of them being written (atomicfile)
//
// A coordinator starting removes these names, of any app, from -out
// (jobOutput): they are an earlier job's, and mr-out-* must never mix
// two jobs. An input of the job is never removed.
//
// The coordinator's private work directory (a temp dir, removed at exit):
//
//	upload-Y.aN.*            a reduce upload being received
//	reduce-Y.run             reduce task Y's committed output in run format
//
// A worker's directory (-dir):
//
//	mr-X.aN                  map attempt N of task X's output: a sections file of
//	                         R runs, served (POST /runs) once the report is accepted
//	split-X.aN               map attempt N of task X's input, for its executor
//	spill-X.aN-K-Y           spill K of that attempt, partition Y
//	reduce-Y.aN/             a reduce attempt's fetched runs (map-X.run), merge
//	                         passes, output
//	.NAME.*.tmp              any of them being written (atomicfile)

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"mapreduce/internal/protocol"
)

func outputName(r int) string { return "mr-out-" + strconv.Itoa(r) }

// jobOutput matches the names a coordinator writes in -out, and their
// temp files, whatever the app (app names as checkAppName allows).
var jobOutput = regexp.MustCompile(`^(mr-(out-[0-9]+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-(all|summary\.json))|` +
	`\.mr-(out-[0-9]+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-(all|summary\.json))\.[^.]+\.tmp)$`)

func finalName(app string) string { return "mr-" + app + "-all" }

func summaryName(app string) string { return "mr-" + app + "-summary.json" }

func uploadPattern(a protocol.Attempt) string {
	return fmt.Sprintf("upload-%d.a%d.*", a.Task, a.N)
}

func committedRunPath(workDir string, r int) string {
	return filepath.Join(workDir, fmt.Sprintf("reduce-%d.run", r))
}

// runPath is where a worker keeps the output of map attempt n of task m.
func runPath(dir string, m, n int) string {
	return filepath.Join(dir, "mr-"+strconv.Itoa(m)+".a"+strconv.Itoa(n))
}

// splitPath is where a map attempt's split waits for its executor.
func splitPath(dir string, task, n int) string {
	return filepath.Join(dir, fmt.Sprintf("split-%d.a%d", task, n))
}

// spillPath names spill k of partition r of a map attempt in dir.
func spillPath(dir string, task, n int) func(k, r int) string {
	return func(k, r int) string {
		return filepath.Join(dir, fmt.Sprintf("spill-%d.a%d-%d-%d", task, n, k, r))
	}
}

// reduceDir is a reduce attempt's scratch directory: "reduce-3.a1".
func reduceDir(dir string, a protocol.Attempt) string { return filepath.Join(dir, a.String()) }

// workerGlobs match everything a worker may leave in a directory it was
// given, temp files included.
var workerGlobs = []string{"mr-*.a*", ".mr-*.a*.tmp", "reduce-*.a*", "spill-*", ".spill-*.tmp", "split-*", ".split-*.tmp"}

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
