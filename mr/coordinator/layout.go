// layout.go: the coordinator's file names, all defined here (a worker's
// are in mr/worker's layout.go). Nothing is ever named after a string a
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
//	.upload-Y.aN.*.tmp       a large reduce upload being received
//	reduce-Y.run             reduce task Y's committed output in run format

package coordinator

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"mapreduce/internal/protocol"
)

func outputName(r int) string { return "mr-out-" + strconv.Itoa(r) }

// jobOutput matches the names a coordinator writes in -out, and their
// temp files, whatever the app (app names as checkAppName allows).
var jobOutput = regexp.MustCompile(`^(mr-(out-[0-9]+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-(all|summary\.json))|` +
	`\.mr-(out-[0-9]+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-(all|summary\.json))\.[^.]+\.tmp)$`)

func finalName(app string) string { return "mr-" + app + "-all" }

func summaryName(app string) string { return "mr-" + app + "-summary.json" }

// uploadName is where a large upload of attempt a, the seq'th upload, is
// received.
func uploadName(a protocol.Attempt, seq int64) string {
	return fmt.Sprintf("upload-%d.a%d.%d", a.Task, a.N, seq)
}

func committedRunPath(workDir string, r int) string {
	return filepath.Join(workDir, fmt.Sprintf("reduce-%d.run", r))
}

// committedLensPath is the lengths file of reduce task r's committed
// output, a large one, which the final merge reads as a text run (its
// mr-out-Y and this file) rather than from a run file.
func committedLensPath(workDir string, r int) string {
	return filepath.Join(workDir, fmt.Sprintf("reduce-%d.lens", r))
}

// outputIndex is Y for the name mr-out-Y.
func outputIndex(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "mr-out-")
	if !ok {
		return 0, false
	}
	r, err := strconv.Atoi(rest)
	return r, err == nil && r >= 0
}
