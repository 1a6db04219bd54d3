package mr

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The shuffle: each worker serves the run files of its committed map
// attempts, GET /mr-X-Y?attempt=N, and reducers fetch and verify them.

// newHTTPClient is the worker's client for splits, run files and
// uploads. Every read on its connections must make progress within
// StallTimeout, so a hung or frozen peer (which still completes TCP
// handshakes) costs seconds, not the whole FetchTimeout.
func newHTTPClient(cfg WorkerConfig) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.RPCTimeout, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return idleConn{Conn: conn, idle: cfg.StallTimeout}, nil
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:           dial,
		MaxIdleConnsPerHost:   cfg.FetchParallel,
		IdleConnTimeout:       cfg.StallTimeout,
		ResponseHeaderTimeout: cfg.StallTimeout,
		DisableCompression:    true,
	}}
}

func (w *Worker) fileMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /{name}", w.serveRun)
	return m
}

// serveRun sends one run file of a committed map attempt. Any other name
// or attempt is 404: the path is parsed into numbers, never joined as is.
func (w *Worker) serveRun(rw http.ResponseWriter, r *http.Request) {
	m, red, ok := parseRunName(r.PathValue("name"))
	attempt, err := strconv.Atoi(r.URL.Query().Get("attempt"))
	if !ok || err != nil || attempt < 1 {
		http.NotFound(rw, r)
		return
	}
	key := runFileKey(m, red, attempt)
	w.mu.Lock()
	served := w.served[key]
	w.mu.Unlock()
	if !served {
		http.NotFound(rw, r)
		return
	}
	f, err := os.Open(filepath.Join(w.dir, key))
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(rw, "stat failed", http.StatusInternalServerError)
		return
	}
	http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(transferDeadline(st.Size())))
	rw.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	io.Copy(rw, f)
}

// parseRunName accepts exactly "mr-X-Y" with X and Y decimal numbers.
func parseRunName(name string) (m, r int, ok bool) {
	rest, found := strings.CutPrefix(name, "mr-")
	xs, ys, found2 := strings.Cut(rest, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	m, ok1 := parseIndex(xs)
	r, ok2 := parseIndex(ys)
	return m, r, ok1 && ok2
}

func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// errFetch is a run file that could not be had from its owner.
var errFetch = errors.New("mr: fetch failed")

// fetchRun downloads src's run file for reduce task r into path,
// verifying its length and CRC, retrying with backoff.
func (w *Worker) fetchRun(ctx context.Context, src MapSource, r int, path string) error {
	backoff := 100 * time.Millisecond
	var err error
	for try := 1; try <= w.cfg.FetchRetries; try++ {
		if err = w.fetchOnce(ctx, src, r, path); err == nil || ctx.Err() != nil {
			return err
		}
		w.log.Info("fetch failed", "file", runFileName(src.Map, r), "attempt", attemptName(MapTask, src.Map, src.Attempt),
			"from", src.Addr, "try", try, "err", err)
		if try < w.cfg.FetchRetries {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
	}
	return fmt.Errorf("%w: %s from %s: %v", errFetch, runFileName(src.Map, r), src.Addr, err)
}

func (w *Worker) fetchOnce(ctx context.Context, src MapSource, r int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.FetchTimeout+transferDeadline(src.Size))
	defer cancel()
	u := fmt.Sprintf("http://%s/%s?attempt=%d", src.Addr, runFileName(src.Map, r), src.Attempt)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	out, err := createScratch(path)
	if err != nil {
		return err
	}
	defer out.Abort()
	h := crc32.New(castagnoli)
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(resp.Body, src.Size+1))
	if err != nil {
		return err
	}
	if n != src.Size || h.Sum32() != src.CRC {
		return fmt.Errorf("corrupt copy: %d bytes crc %08x, want %d bytes crc %08x", n, h.Sum32(), src.Size, src.CRC)
	}
	return out.Commit()
}
