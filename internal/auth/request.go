// Signed HTTP requests: the headers, signing and verifying them with
// freshness, and the limiter that keeps refusals from flooding the logs.

package auth

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Headers of a signed HTTP request.
const (
	HeaderTime  = "X-Mr-Time"  // the signer's reading of the coordinator's clock, unix milliseconds
	HeaderNonce = "X-Mr-Nonce" // nonceSize random bytes, hex
	HeaderSig   = "X-Mr-Sig"   // hex HMAC-SHA256 of the method, URI, time, nonce and covered values
)

// Errors of VerifyRequest; each means the request is refused.
var (
	ErrUnsigned = errors.New("auth: request not signed")
	ErrBadSig   = errors.New("auth: bad signature")
	ErrStale    = errors.New("auth: request outside the freshness window")
	ErrReplayed = errors.New("auth: request replayed")
	ErrBusy     = errors.New("auth: too many requests from this source in the freshness window")
)

// SignRequest signs a request for method and uri (path and query, as
// sent) at time now, covering also the values given (headers the
// receiver must be able to trust, such as a body's length and CRC).
func SignRequest(h http.Header, key []byte, method, uri string, now time.Time, covered ...string) {
	t := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := hex.EncodeToString(Nonce())
	h.Set(HeaderTime, t)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSig, hex.EncodeToString(requestSum(key, method, uri, t, nonce, covered)))
}

// VerifyRequest checks a request's signature, then its freshness against
// now (the receiver's reading of the coordinator's clock) and replay:
// seen is one source's part of a *Replay (Replay.From). Nothing
// of the request should be used before it returns nil; with covered
// values that include the body's length and digest, that means the body
// is read only after it returned nil.
func VerifyRequest(h http.Header, key []byte, method, uri string, now time.Time, seen Seen, covered ...string) error {
	t, nonce, sig := h.Get(HeaderTime), h.Get(HeaderNonce), h.Get(HeaderSig)
	if t == "" || nonce == "" || sig == "" {
		return ErrUnsigned
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !Equal(got, requestSum(key, method, uri, t, nonce, covered)) {
		return ErrBadSig
	}
	ms, err := strconv.ParseInt(t, 10, 64)
	n, err2 := ParseNonce(nonce)
	if err != nil || err2 != nil {
		return ErrBadSig
	}
	return seen.Check(n, time.UnixMilli(ms), now)
}

func requestSum(key []byte, method, uri, t, nonce string, covered []string) []byte {
	parts := [][]byte{[]byte("http"), []byte(method), []byte(uri), []byte(t), []byte(nonce)}
	for _, c := range covered {
		parts = append(parts, []byte(c))
	}
	return Sum(key, parts...)
}

// Limiter lets one log line through per key (a peer) per period, so that
// a peer throwing garbage cannot flood the logs.
type Limiter struct {
	every time.Duration

	// mu guards last.
	mu   sync.Mutex
	last map[string]time.Time
}

// NewLimiter allows one event per key per every.
func NewLimiter(every time.Duration) *Limiter {
	return &Limiter{every: every, last: make(map[string]time.Time)}
}

// Allow reports whether an event for key may be logged at now.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		return false
	}
	if len(l.last) >= 4096 { // bounded: forget everyone quiet for a period
		for k, t := range l.last {
			if now.Sub(t) >= l.every {
				delete(l.last, k)
			}
		}
		if len(l.last) >= 4096 {
			return false
		}
	}
	l.last[key] = now
	return true
}
