// The engine's HTTP addresses (splits, runs, uploads) and the signed requests that use them.

package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mapreduce/internal/protocol"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"mapreduce/internal/auth"
)

// SplitURL is where map attempt a reads its split from the coordinator.
func SplitURL(coordinator string, a protocol.Attempt) string {
	return "http://" + coordinator + protocol.PathSplit + "?" + attemptQuery(a)
}

// ReduceURL is where reduce attempt a uploads its output.
func ReduceURL(coordinator string, a protocol.Attempt) string {
	return "http://" + coordinator + protocol.PathReduce + "?" + attemptQuery(a)
}

func attemptQuery(a protocol.Attempt) string {
	return url.Values{"worker": {a.WorkerID}, "task": {strconv.Itoa(a.Task)},
		"attempt": {strconv.Itoa(a.N)}}.Encode()
}

// ParseAttempt reads the attempt of the given kind that a request to the
// coordinator names in its query: ?worker=ID&task=N&attempt=N.
func ParseAttempt(r *http.Request, kind protocol.TaskKind) (protocol.Attempt, error) {
	q := r.URL.Query()
	task, err1 := strconv.Atoi(q.Get("task"))
	n, err2 := strconv.Atoi(q.Get("attempt"))
	if err1 != nil || err2 != nil || q.Get("worker") == "" {
		return protocol.Attempt{}, errors.New("want ?worker=ID&task=N&attempt=N")
	}
	return protocol.Attempt{WorkerID: q.Get("worker"), Kind: kind, Task: task, N: n}, nil
}

// Covered lists the values a request's signature covers besides its
// method and URI: the body's length and, for an upload, its CRC, the
// bytes the reducer read and its counters.
func Covered(h http.Header, contentLength int64) []string {
	return []string{strconv.FormatInt(max(contentLength, 0), 10), h.Get(protocol.HeaderCRC), h.Get(protocol.HeaderRead), h.Get(protocol.HeaderCounters)}
}

// FreshWindow is how far a signed request's time may be from the
// receiver's reading of the coordinator's clock.
const FreshWindow = time.Minute

// Errors of signed bodies.
var (
	ErrNoLength = errors.New("a signed request needs a Content-Length")
	ErrDigest   = errors.New("request body does not match its signed digest")
)

// CoveredBody lists the values the signature of a request with a small
// body covers besides its method and URI: the body's length and its
// SHA-256 (HeaderSHA256). The receiver checks the signature over them
// before it reads a byte of the body (VerifyBodyHeaders), then reads at
// most the length announced, under a deadline (netx.ReadBody), and checks
// the digest (CheckBodyDigest).
func CoveredBody(h http.Header, contentLength int64) []string {
	return []string{strconv.FormatInt(max(contentLength, 0), 10), h.Get(protocol.HeaderSHA256)}
}

// SignBody signs req, whose body is body, with key at now (the signer's
// reading of the coordinator's clock), covering the body's length and
// SHA-256.
func SignBody(req *http.Request, key []byte, now time.Time, body []byte) {
	sum := sha256.Sum256(body)
	req.Header.Set(protocol.HeaderSHA256, hex.EncodeToString(sum[:]))
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), now, CoveredBody(req.Header, int64(len(body)))...)
}

// VerifyBodyHeaders checks the signature of a request signed by SignBody,
// its freshness and replay, without reading its body: nil means the
// announced length and digest are the signer's.
func VerifyBodyHeaders(r *http.Request, key []byte, now time.Time, seen auth.Seen) error {
	if r.ContentLength < 0 {
		return ErrNoLength
	}
	return auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, now, seen, CoveredBody(r.Header, r.ContentLength)...)
}

// CheckBodyDigest checks a body read after VerifyBodyHeaders against the
// digest its signature covers.
func CheckBodyDigest(h http.Header, body []byte) error {
	want, err := hex.DecodeString(h.Get(protocol.HeaderSHA256))
	sum := sha256.Sum256(body)
	if err != nil || !auth.Equal(want, sum[:]) {
		return ErrDigest
	}
	return nil
}
