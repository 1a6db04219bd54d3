// Names: of attempts and tasks in log lines, the HTTP paths and headers,
// and the errors of a secret that does not match.

package protocol

import (
	"errors"
	"strconv"
	"strings"
)

// AttemptName is an attempt's name in every log line: "map-3.a2".
func AttemptName(kind TaskKind, task, n int) string {
	return kind.String() + "-" + strconv.Itoa(task) + ".a" + strconv.Itoa(n)
}

// TaskName is a task's name: "map-3".
func TaskName(kind TaskKind, task int) string {
	return kind.String() + "-" + strconv.Itoa(task)
}

// parseIndex accepts a task index: 1 to 9 decimal digits.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Paths and headers of the HTTP side (see the package comment).
const (
	PathRPC    = "/_mr_rpc_" // CONNECT here upgrades to net/rpc
	PathSplit  = "/split"
	PathReduce = "/reduce"
	PathStatus = "/status"

	HeaderCRC      = "X-Mr-Crc32c"   // CRC-32C of an uploaded body, decimal
	HeaderSHA256   = "X-Mr-Sha256"   // SHA-256 of a small signed body (POST /runs), hex
	HeaderRead     = "X-Mr-Read"     // bytes the reducer fetched, for the summary
	HeaderCounters = "X-Mr-Counters" // the attempt's Counters, compact JSON (EncodeCounters)
)

// ErrNeedSecret and ErrNoSecret are a worker's secret not matching its
// coordinator's: the coordinator has one and the worker not, or the
// reverse (or a different one).
var (
	ErrNeedSecret = errors.New("job secret required: set MR_SECRET or -secret-file, the same on every host")
	ErrNoSecret   = errors.New("the coordinator has no job secret, but MR_SECRET or -secret-file is set here")
	ErrBadSecret  = errors.New("job secret differs from the coordinator's")
)
