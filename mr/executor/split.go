// A map attempt's split, as the process that maps it reads it: from the
// worker's split file, or straight from the coordinator (Fetch).

package executor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"mapreduce/internal/netx"
)

// Fetch is the one HTTP request that brings a split from the coordinator
// into the process that maps it, so that its bytes are copied once, from
// the socket into the split's memory, rather than through the worker and
// a file. The worker builds and signs it; the executor sends it as it is,
// to the coordinator's address the worker was started with.
type Fetch struct {
	URL    string      // the coordinator's GET /split for the attempt
	Header http.Header // its signature
	Size   int64       // the split's bytes: exactly this many are read
	// Timeout bounds the whole transfer; Stall, each read of it, the
	// wait for the response's header and the dial.
	Timeout, Stall time.Duration
}

// readSplit reads the split of t: from the coordinator if t says so,
// else from its split file.
func readSplit(t *Task) (string, error) {
	if t.Fetch != nil {
		return fetchSplit(t.Fetch)
	}
	return readString(t.SplitPath)
}

// splitSize is the size of t's split, or -1 if it cannot be told.
func splitSize(t *Task) int64 {
	if t.Fetch != nil {
		return t.Fetch.Size
	}
	if st, err := os.Stat(t.SplitPath); err == nil {
		return st.Size()
	}
	return -1
}

// fetchSplit sends f and reads its split: exactly f.Size bytes, in one
// string.
func fetchSplit(f *Fetch) (string, error) {
	s, err := fetchBody(f)
	if err != nil {
		return "", fmt.Errorf("mr: reading the split from the coordinator: %w", err)
	}
	return s, nil
}

func fetchBody(f *Fetch) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return "", err
	}
	req.Header = f.Header.Clone()
	resp, err := splitClient(f.Stall).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	return readExactly(resp.Body, f.Size)
}

// splitClients are the HTTP clients of fetchSplit, by stall timeout: a
// process keeps its connection to the coordinator from one split to the
// next.
var splitClients = struct {
	sync.Mutex
	by map[time.Duration]*http.Client
}{by: map[time.Duration]*http.Client{}}

// splitClient returns the client whose every read, and wait for a
// response's header, is bounded by stall (its dials too).
func splitClient(stall time.Duration) *http.Client {
	splitClients.Lock()
	defer splitClients.Unlock()
	if c := splitClients.by[stall]; c != nil {
		return c
	}
	c := netx.HTTPClient(stall, stall, 1)
	splitClients.by[stall] = c
	return c
}
