package mr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// The shuffle: each worker serves the runs of its committed map attempts,
// and reducers fetch them in batches, one request per owner (POST /runs,
// see protocol/runs.go), verifying each run by its own trailer.

// newHTTPClient is the worker's client for splits, runs and uploads.
// Every read on its connections must make progress within StallTimeout,
// so a hung or frozen peer (which still completes TCP handshakes) costs
// seconds, not the whole FetchTimeout.
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
	m.HandleFunc("POST "+protocol.PathRuns, w.serveRuns)
	return m
}

// maxRunsBody bounds a /runs request's body.
const maxRunsBody = 16 << 20

// serveRuns streams the runs a reducer asks for, one frame each; a map
// attempt this worker does not serve (not accepted, dropped) gets a frame
// of size -1. Nothing of the request is used as a path.
func (w *Worker) serveRuns(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRunsBody+1))
	if err == nil && len(body) > maxRunsBody {
		err = errors.New("request too large")
	}
	if err == nil {
		if key := w.keys.FetchKey(); key != nil {
			err = auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, w.coordNow(), w.fresh, string(body))
		}
	}
	if err != nil {
		w.refused(r.RemoteAddr, "POST "+r.URL.Path, err)
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	red, err1 := protocol.ParseRunsQuery(r.URL.Query())
	maps, err2 := protocol.DecodeRunsRequest(body)
	if err1 != nil || err2 != nil {
		http.Error(rw, "bad runs request", http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(rw)
	bw := bufio.NewWriterSize(rw, 64<<10)
	for _, m := range maps {
		rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if err := w.writeRun(bw, m, red); err != nil {
			return // the reducer sees a truncated stream and fetches the rest again
		}
	}
	bw.Flush()
}

// writeRun writes the frame of map attempt m's run for reduce task red.
func (w *Worker) writeRun(bw *bufio.Writer, m protocol.MapAttempt, red int) error {
	w.mu.Lock()
	served := w.served[runKey{m.Map, m.Attempt}]
	w.mu.Unlock()
	var f *os.File
	var off, size int64 = 0, -1
	if served {
		var err error
		if f, off, size, err = openSection(runPath(w.dir, m.Map, m.Attempt), red); err != nil {
			size = -1
		} else {
			defer f.Close()
		}
	}
	bw.Write(protocol.AppendRunsFrame(nil, m, size))
	if size < 0 {
		return nil
	}
	_, err := io.Copy(bw, io.NewSectionReader(f, off, size))
	return err
}

// openSection opens the sections file at path and finds run r in it.
func openSection(path string, r int) (*os.File, int64, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	st, err := f.Stat()
	if err == nil {
		var off, size int64
		if off, size, err = runfile.Section(f, st.Size(), r); err == nil {
			return f, off, size, nil
		}
	}
	f.Close()
	return nil, 0, 0, err
}

// fetchBatch fetches reduce task r's runs of maps from owner into the one
// file path, each verified as it is written, and reports each map
// attempt's outcome to done: where its run is, or why it is not there. A
// failure of this worker's own disk ends the batch with a *localError.
func (w *Worker) fetchBatch(ctx context.Context, owner string, r int, maps []protocol.MapAttempt, path string,
	done func(m protocol.MapAttempt, seg runfile.Segment, err error)) error {
	body := protocol.EncodeRunsRequest(maps)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, protocol.RunsURL(owner, r), bytes.NewReader(body))
	if err != nil {
		return err
	}
	if key := w.keys.FetchKey(); key != nil {
		auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), w.coordNow(), string(body))
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", owner, resp.Status)
	}
	if err := w.faults.diskFull(); err != nil {
		return &localError{err}
	}
	out, err := atomicfile.CreateScratch(path)
	if err != nil {
		return &localError{err}
	}
	defer out.Abort()
	var saved []protocol.MapAttempt
	var segs []runfile.Segment
	var off int64
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for _, want := range maps {
		got, size, err := protocol.ReadRunsFrame(br)
		switch {
		case err == nil && got != want:
			err = fmt.Errorf("%s sent map-%d.a%d for map-%d.a%d", owner, got.Map, got.Attempt, want.Map, want.Attempt)
		case err == nil && size < 0:
			done(want, runfile.Segment{}, fmt.Errorf("%s does not serve map-%d.a%d", owner, want.Map, want.Attempt))
			continue
		case err == nil:
			if err = runfile.VerifyCopy(localWriter{out.File}, br, size); err != nil {
				err = fmt.Errorf("run of map-%d.a%d from %s: %w", want.Map, want.Attempt, owner, err)
			}
		}
		if err != nil { // keep what was verified; the rest is fetched again
			return commitBatch(out, saved, segs, done, err)
		}
		saved, segs = append(saved, want), append(segs, runfile.Segment{Path: path, Off: off, Size: size})
		off += size
	}
	return commitBatch(out, saved, segs, done, nil)
}

// commitBatch publishes a batch's file and tells done where each verified
// run is; it returns cause, or the commit's failure.
func commitBatch(out *atomicfile.File, saved []protocol.MapAttempt, segs []runfile.Segment,
	done func(protocol.MapAttempt, runfile.Segment, error), cause error) error {
	var local *localError
	if errors.As(cause, &local) {
		return cause
	}
	if err := out.Commit(); err != nil {
		return &localError{err}
	}
	for i, m := range saved {
		done(m, segs[i], nil)
	}
	return cause
}

// batchPath is where a reducer keeps the runs one batch brought, named
// after their owner ("owner-3") or, fetched alone, their map ("map-7").
func batchPath(dir, name string) string { return filepath.Join(dir, name+".runs") }
