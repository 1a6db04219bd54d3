// sessions.go: who may act for which worker. A worker agrees a session
// key at registration (X25519; it never crosses the wire); later
// connections bind themselves to the worker by proving the key
// (Resume), and its signed HTTP requests are checked against it. The
// scheduler knows nothing of keys: it sees worker ids only.

package coordinator

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/wire"
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
	err := auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, time.Now(), c.front.fresh.From(worker),
		wire.Covered(r.Header, r.ContentLength)...)
	if err == nil {
		netx.MarkRequest(r)
	}
	return err
}

// unauthorized answers a refused request and logs it (rate-limited).
func (c *Coordinator) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	c.front.refused(r.RemoteAddr, r.Method+" "+r.URL.Path, err)
	refuse(w, "unauthorized", http.StatusUnauthorized)
}

// refuse answers a request that is refused before its body is read, and
// hangs up at once: whatever body it announced is never read (net/http
// would wait for up to 256 KiB of it), and the connection is not kept for
// another request. Headers the handler set (ours, never a peer's) go
// with the answer.
func refuse(w http.ResponseWriter, msg string, code int) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil { // not hijackable (a test's recorder): answer plainly
		w.Header().Set("Connection", "close")
		http.Error(w, msg, code)
		return
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n", code, http.StatusText(code))
	h := w.Header().Clone()
	for _, k := range []string{"Connection", "Content-Type", "Content-Length"} {
		h.Del(k)
	}
	h.Write(buf)
	fmt.Fprintf(buf, "Content-Length: %d\r\n\r\n%s\n", len(msg)+1, msg)
	buf.Flush()
}
