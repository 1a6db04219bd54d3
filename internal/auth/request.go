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
	HeaderNonce = "X-Mr-Nonce" // NonceSize random bytes, hex
	HeaderSig   = "X-Mr-Sig"   // hex HMAC-SHA256 of the method, URI, time, nonce and covered values
)

// Errors of VerifyRequest; each means the request is refused.
var (
	ErrUnsigned = errors.New("auth: request not signed")
	ErrBadSig   = errors.New("auth: bad signature")
	ErrStale    = errors.New("auth: request outside the freshness window")
	ErrReplayed = errors.New("auth: request replayed")
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
// now (the receiver's reading of the coordinator's clock) and replay.
// Nothing of the request should be used before it returns nil.
func VerifyRequest(h http.Header, key []byte, method, uri string, now time.Time, seen *Replay, covered ...string) error {
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

// Replay remembers the nonces of requests inside the freshness window, so
// that a captured request cannot be played again. Its memory is bounded:
// when full, it refuses new requests until old ones leave the window.
type Replay struct {
	window time.Duration
	max    int

	// mu guards seen and order.
	mu    sync.Mutex
	seen  map[[NonceSize]byte]struct{}
	order []seenAt // in arrival order, for pruning
}

type seenAt struct {
	nonce [NonceSize]byte
	at    time.Time
}

// NewReplay remembers requests up to window old, at most max of them.
func NewReplay(window time.Duration, max int) *Replay {
	return &Replay{window: window, max: max, seen: make(map[[NonceSize]byte]struct{})}
}

// Check accepts a request made at t, seen at now, with this nonce, once.
func (r *Replay) Check(nonce []byte, t, now time.Time) error {
	if t.Before(now.Add(-r.window)) || t.After(now.Add(r.window)) {
		return ErrStale
	}
	var key [NonceSize]byte
	copy(key[:], nonce)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked(now)
	if _, dup := r.seen[key]; dup {
		return ErrReplayed
	}
	if len(r.seen) >= r.max {
		return errors.New("auth: too many requests in the freshness window")
	}
	r.seen[key] = struct{}{}
	r.order = append(r.order, seenAt{key, now})
	return nil
}

// pruneLocked forgets nonces seen more than two windows ago: a request
// that old is refused as stale anyway.
func (r *Replay) pruneLocked(now time.Time) {
	i := 0
	for i < len(r.order) && now.Sub(r.order[i].at) > 2*r.window {
		delete(r.seen, r.order[i].nonce)
		i++
	}
	if i > 0 {
		r.order = append(r.order[:0], r.order[i:]...)
	}
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
