package protocol

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Paths and headers of the HTTP side (see the package comment).
const (
	PathRPC    = "/_mr_rpc_" // CONNECT here upgrades to net/rpc
	PathSplit  = "/split"
	PathReduce = "/reduce"
	PathStatus = "/status"

	HeaderCRC      = "X-Mr-Crc32c"   // CRC-32C of an uploaded body, decimal
	HeaderRead     = "X-Mr-Read"     // bytes the reducer fetched, for the summary
	HeaderCounters = "X-Mr-Counters" // the attempt's Counters, compact JSON (EncodeCounters)
)

// SplitURL is where map attempt a reads its split from the coordinator.
func SplitURL(coordinator string, a Attempt) string {
	return "http://" + coordinator + PathSplit + "?" + attemptQuery(a)
}

// ReduceURL is where reduce attempt a uploads its output.
func ReduceURL(coordinator string, a Attempt) string {
	return "http://" + coordinator + PathReduce + "?" + attemptQuery(a)
}

func attemptQuery(a Attempt) string {
	return url.Values{"worker": {a.WorkerID}, "task": {strconv.Itoa(a.Task)},
		"attempt": {strconv.Itoa(a.N)}}.Encode()
}

// ParseAttempt reads the attempt of the given kind that a request to the
// coordinator names in its query: ?worker=ID&task=N&attempt=N.
func ParseAttempt(r *http.Request, kind TaskKind) (Attempt, error) {
	q := r.URL.Query()
	task, err1 := strconv.Atoi(q.Get("task"))
	n, err2 := strconv.Atoi(q.Get("attempt"))
	if err1 != nil || err2 != nil || q.Get("worker") == "" {
		return Attempt{}, errors.New("want ?worker=ID&task=N&attempt=N")
	}
	return Attempt{WorkerID: q.Get("worker"), Kind: kind, Task: task, N: n}, nil
}

// Covered lists the values a request's signature covers besides its
// method and URI: the body's length and, for an upload, its CRC, the
// bytes the reducer read and its counters.
func Covered(h http.Header, contentLength int64) []string {
	return []string{strconv.FormatInt(max(contentLength, 0), 10), h.Get(HeaderCRC), h.Get(HeaderRead), h.Get(HeaderCounters)}
}

// FreshWindow is how far a signed request's time may be from the
// receiver's reading of the coordinator's clock.
const FreshWindow = time.Minute
