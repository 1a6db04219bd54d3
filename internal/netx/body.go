// ReadBody: reading an authenticated request's body, bounded in size and
// in time.

package netx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Errors of ReadBody.
var (
	errNoLength = errors.New("netx: request body without a Content-Length")
	errTooLarge = errors.New("netx: request body too large")
	errShort    = errors.New("netx: request body shorter than announced")
)

// bodyTimeout is how long a body of n bytes may take to arrive: 10 s,
// plus 1 s per MiB (a peer on a LAN sending at 1 MiB/s is slow already).
func bodyTimeout(n int64) time.Duration {
	return 10*time.Second + time.Duration(n>>20)*time.Second
}

// ReadBody reads the body of a request whose signed headers verified
// (after MarkRequest): exactly its announced Content-Length, at most max
// bytes, within 10 s plus 1 s per MiB of that length (bodyTimeout).
// Memory grows with the bytes that arrive, not with the length announced.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	n := r.ContentLength
	switch {
	case n < 0:
		return nil, errNoLength
	case n > max:
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, n, max)
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout(n)))
	b, err := io.ReadAll(io.LimitReader(r.Body, n))
	if err != nil {
		return nil, fmt.Errorf("netx: reading a request body: %w", err)
	}
	if int64(len(b)) != n {
		return nil, fmt.Errorf("%w: %d of %d bytes", errShort, len(b), n)
	}
	return b, nil
}
