package coordinator

// Sessions: who may act for which worker. A worker agrees a session key
// at registration (X25519; it never crosses the wire); later connections
// bind themselves to the worker by proving the key (Resume), and its
// signed HTTP requests are checked against it. The scheduler knows
// nothing of keys: it sees worker ids only.

import (
	"errors"
	"net/http"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
)

// errNoSession refuses a request for a worker that has no session.
var errNoSession = errors.New("mr: no such session")

// sessions maps worker ids to their session keys; Coordinator.mu guards
// it. Entries are never removed: a dead worker's calls are answered
// "register again" by the scheduler, and registrations are bounded
// (Config.MaxWorkers).
type sessions map[string][]byte

// sessionKey is worker id's session key, nil if it has none.
func (c *Coordinator) sessionKey(id string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

// authorize checks a worker's signed request: the worker named must have
// a session, and the request must carry a fresh signature under its key.
// Nothing of the request is used before this passes.
func (c *Coordinator) authorize(r *http.Request, worker string) error {
	key := c.sessionKey(worker)
	if key == nil {
		return errNoSession
	}
	err := auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, time.Now(), c.fresh.From(worker),
		protocol.Covered(r.Header, r.ContentLength)...)
	if err == nil {
		netx.MarkRequest(r)
	}
	return err
}

// unauthorized answers a refused request and logs it (rate-limited).
func (c *Coordinator) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	c.refused(r.RemoteAddr, r.Method+" "+r.URL.Path, err)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}
