package worker

// The run-file server: each worker serves the runs of its committed map
// attempts, and reducers fetch them in batches, one request per owner
// (POST /runs, see internal/protocol's runs.go), verifying each run by
// its own trailer (fetch.go).

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// fileMux routes the run-file server's one endpoint.
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
			err = auth.VerifyRequest(r.Header, key, r.Method, r.RequestURI, w.coord.Now(), w.fresh, string(body))
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
