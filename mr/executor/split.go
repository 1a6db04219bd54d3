// A map attempt's split, as the process that maps it reads it: from the
// worker's split file, or straight from the coordinator (Fetch).

package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
	"unsafe"

	"mapreduce/internal/manifest"
	"mapreduce/internal/netx"
	"mapreduce/internal/prefault"
	"mapreduce/internal/readahead"
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

// split is a map attempt's split: its text, which may still be arriving
// (streamSplit), until wait says that a prefix of it is there.
type split struct {
	text string
	// For a split still arriving: arrived bytes of text are there, and
	// once done, err says how the transfer ended.
	mu      sync.Mutex
	cond    sync.Cond
	arrived int64
	done    bool
	err     error
	cancel  context.CancelFunc
}

// readSplit reads the split of t: from the coordinator if t says so,
// else from its split file. A split of several inputs from the
// coordinator is streamed: Map is called on each input as soon as its
// bytes are there, while the next ones arrive (streamSplit).
func readSplit(t *Task) (*split, error) {
	if t.Fetch != nil && len(t.Inputs) > 1 && t.Fetch.Size > 0 {
		return streamSplit(t.Fetch)
	}
	var text string
	var err error
	switch {
	case len(t.Copies) > 0:
		text, err = readCopies(t.Copies)
	case t.Fetch != nil:
		text, err = fetchSplit(t.Fetch)
	default:
		text, err = readString(t.SplitPath)
	}
	if err != nil {
		return nil, err
	}
	s := newSplit(text, nil)
	s.arrived, s.done = int64(len(text)), true
	return s, nil
}

// newSplit returns a split of text whose transfer cancel stops (nil: none).
func newSplit(text string, cancel context.CancelFunc) *split {
	s := &split{text: text, cancel: cancel}
	s.cond.L = &s.mu
	return s
}

// wait waits until the split's first end bytes are there, and returns
// the transfer's error if they never will be.
func (s *split) wait(end int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.arrived < end && !s.done {
		s.cond.Wait()
	}
	if s.arrived < end { // done, so err says why
		return splitError(s.err)
	}
	return nil
}

// close stops the transfer if it is still going, and returns how it
// ended: nil if the whole split arrived, and nothing after it.
func (s *split) close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.done {
		s.cond.Wait()
	}
	if s.err != nil {
		return splitError(s.err)
	}
	return nil
}

// splitError is a failure to read the split from the coordinator, as a
// map attempt reports it.
func splitError(err error) error {
	return fmt.Errorf("mr: reading the split from the coordinator: %w", err)
}

// streamChunk is the most bytes of a streamed split read at once.
const streamChunk = 1 << 20

// streamSplit sends f and returns its split at once, its bytes arriving
// behind it from a goroutine of its own into the split's memory, the
// Map side waiting for each input's (wait).
func streamSplit(f *Fetch) (*split, error) {
	if f.Size <= 0 || int64(int(f.Size)) != f.Size {
		return nil, splitError(fmt.Errorf("a split of %d bytes", f.Size))
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
	resp, err := sendFetch(ctx, f)
	if err != nil {
		cancel()
		return nil, splitError(err)
	}
	b := make([]byte, f.Size)
	prefault.Bytes(b)
	s := newSplit(unsafe.String(&b[0], len(b)), cancel) // b's bytes are written once, before wait hands them out
	go func() {
		defer cancel()
		defer resp.Body.Close()
		var got int64
		var err error
		for got < f.Size && err == nil {
			var n int
			n, err = resp.Body.Read(b[got:min(got+streamChunk, f.Size)])
			got += int64(n)
			s.mu.Lock()
			s.arrived = got
			s.mu.Unlock()
			s.cond.Broadcast()
		}
		switch {
		case got == f.Size && err == io.EOF: // the body ended there
			err = nil
		case err == io.EOF:
			err = fmt.Errorf("got %d bytes, want %d", got, f.Size)
		case err == nil:
			err = checkEnd(resp.Body, f.Size)
		}
		s.mu.Lock()
		s.done, s.err = true, err
		s.mu.Unlock()
		s.cond.Broadcast()
	}()
	return s, nil
}

// splitSize is the size of t's split, or -1 if it cannot be told.
func splitSize(t *Task) int64 {
	if t.Fetch != nil {
		return t.Fetch.Size
	}
	if len(t.Copies) > 0 {
		return copiesSize(t.Copies)
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
		return "", splitError(err)
	}
	return s, nil
}

func fetchBody(f *Fetch) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
	defer cancel()
	resp, err := sendFetch(ctx, f)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return readExactly(resp.Body, f.Size)
}

// sendFetch sends f's request and returns its response, if 200 OK.
func sendFetch(ctx context.Context, f *Fetch) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header = f.Header.Clone()
	resp, err := splitClient(f.Stall).Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, errors.New(resp.Status)
	}
	return resp, nil
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

// readCopies reads a split from the worker's own copies of its inputs,
// back to back into one string, each piece checked block by block as it
// is read (manifest.ReadInto). A copy that cannot be used is a
// *copyError, and nothing is mapped.
func readCopies(cs []Copy) (string, error) {
	size := copiesSize(cs)
	if size < 0 || int64(int(size)) != size {
		return "", fmt.Errorf("a split of %d bytes", size)
	}
	if size == 0 {
		return "", nil
	}
	for _, c := range cs { // read from the device while b faults in
		readahead.Path(c.Path, c.Piece.Off, c.Piece.Len)
	}
	if last := cs[len(cs)-1]; last.Piece.Off+last.Piece.Len < last.Piece.Size {
		// A large input's next piece is most often the next split this
		// worker maps (the task its attempt absorbs): read it from the
		// device while this one is mapped.
		end := last.Piece.Off + last.Piece.Len
		defer func() { go readahead.Path(last.Path, end, min(last.Piece.Len, last.Piece.Size-end)) }()
	}
	b := make([]byte, size)
	prefault.Bytes(b)
	var off int64
	for i, c := range cs {
		if c.Piece.Len == 0 {
			continue // an empty input: nothing to read
		}
		f, err := manifest.OpenCopy(c.Path, c.Key)
		if err != nil {
			return "", &copyError{path: c.Path, piece: i, err: err}
		}
		err = manifest.ReadInto(b[off:off+c.Piece.Len], f, c.Piece)
		f.Close()
		if err != nil {
			return "", &copyError{path: c.Path, piece: i, differs: true, err: err}
		}
		off += c.Piece.Len
	}
	return unsafe.String(&b[0], len(b)), nil // b is never written again
}

// copiesSize is the bytes of a split read from copies, or -1 if a piece
// says it has fewer than none.
func copiesSize(cs []Copy) int64 {
	var n int64
	for _, c := range cs {
		if c.Piece.Len < 0 {
			return -1
		}
		n += c.Piece.Len
	}
	return n
}

// copyError is a copy of an input that a split could not be read from:
// Result.Copy says which, for its worker to stop using it.
type copyError struct {
	path    string
	piece   int
	differs bool
	err     error
}

func (e *copyError) Error() string {
	return fmt.Sprintf("mr: reading the split from the worker's copy %s: %v", e.path, e.err)
}
func (e *copyError) Unwrap() error { return e.err }
