package mr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"mapreduce/mr/internal/atomicfile"
	"mapreduce/mr/internal/auth"
	"mapreduce/mr/internal/protocol"
	"mapreduce/mr/internal/runfile"
)

// The shuffle: each worker serves the run files of its committed map
// attempts, GET /mr-X-Y?attempt=N, and reducers fetch and verify them.

// newHTTPClient is the worker's client for splits, run files and
// uploads. Every read on its connections must make progress within
// StallTimeout, so a hung or frozen peer (which still completes TCP
// handshakes) costs seconds, not the whole FetchTimeout.
func newHTTPClient(cfg WorkerConfig) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
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
// or attempt is 404: the request is parsed into numbers, never joined as is.
func (w *Worker) serveRun(rw http.ResponseWriter, r *http.Request) {
	if key := w.keys.FetchKey(); key != nil {
		if err := auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, w.coordNow(), w.fresh); err != nil {
			w.refused(r.RemoteAddr, "GET "+r.URL.Path, err)
			http.Error(rw, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	m, red, n, ok := protocol.ParseRunRequest(r.PathValue("name"), r.URL.Query())
	if !ok {
		http.NotFound(rw, r)
		return
	}
	w.mu.Lock()
	served := w.served[runKey{m, red, n}]
	w.mu.Unlock()
	if !served {
		http.NotFound(rw, r)
		return
	}
	f, err := os.Open(runPath(w.dir, m, red, n))
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

// fetchRun downloads src's run file for reduce task r into path,
// verifying its length and CRC, retrying with backoff.
func (w *Worker) fetchRun(ctx context.Context, src protocol.MapSource, r int, path string) error {
	name := protocol.RunName(src.Map, r)
	try := 0
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	err := b.retry(ctx, func() (bool, error) {
		try++
		err := w.fetchOnce(ctx, src, r, path)
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return true, err
		}
		w.log.Info("fetch failed", "file", name, "attempt", protocol.AttemptName(protocol.MapTask, src.Map, src.Attempt),
			"from", src.Addr, "try", try, "err", err)
		return false, err
	})
	var local *localError
	if err != nil && ctx.Err() == nil && !errors.As(err, &local) {
		return fmt.Errorf("mr: fetching %s from %s: %w", name, src.Addr, err)
	}
	return err
}

func (w *Worker) fetchOnce(ctx context.Context, src protocol.MapSource, r int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(src.Size))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, protocol.RunURL(src, r), nil)
	if err != nil {
		return err
	}
	if key := w.keys.FetchKey(); key != nil {
		auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), w.coordNow())
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	if err := w.faults.diskFull(); err != nil {
		return &localError{err}
	}
	out, err := atomicfile.CreateScratch(path)
	if err != nil {
		return &localError{err}
	}
	defer out.Abort()
	h := runfile.NewHash()
	n, err := io.Copy(io.MultiWriter(localWriter{out.File}, h), io.LimitReader(resp.Body, src.Size+1))
	if err != nil {
		return err
	}
	if n != src.Size || h.Sum32() != src.CRC {
		return fmt.Errorf("corrupt copy: %d bytes crc %08x, want %d bytes crc %08x", n, h.Sum32(), src.Size, src.CRC)
	}
	if err := out.Commit(); err != nil {
		return &localError{err}
	}
	return nil
}
