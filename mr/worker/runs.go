// The run-file server: each worker serves the runs of its committed map
// attempts, and reducers fetch them in batches, one request per owner
// (POST /runs, see internal/protocol's runs.go), verifying each run by
// its own trailer (fetch.go).

package worker

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
)

// fileMux routes the run-file server's one endpoint.
func (w *Worker) fileMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST "+protocol.PathRuns, w.serveRuns)
	m.HandleFunc("GET "+protocol.PathInput, w.serveInput)
	return m
}

// serveRuns streams the runs a reducer asks for, one frame each; a map
// attempt this worker does not serve (not accepted, dropped) gets a frame
// of size -1. Nothing of the request is used as a path.
//
// With a job secret, the request's signed headers (covering the body's
// length and SHA-256) are checked before a byte of the body is read; the
// body is then read under a deadline, at most as long as announced and
// protocol.MaxRunsBody, and checked against its digest.
func (w *Worker) serveRuns(rw http.ResponseWriter, r *http.Request) {
	key := w.sec.keys.FetchKey()
	var err error
	if key != nil {
		err = wire.VerifyBodyHeaders(r, key, w.coord.Now(), w.sec.fresh.From(netx.Host(r.RemoteAddr)))
	}
	var body []byte
	if err == nil {
		netx.MarkRequest(r)
		body, err = netx.ReadBody(rw, r, protocol.MaxRunsBody)
	}
	if err == nil && key != nil {
		err = wire.CheckBodyDigest(r.Header, body)
	}
	if err != nil {
		w.refused(r.RemoteAddr, "POST "+r.URL.Path, err)
		rw.Header().Set("Connection", "close") // whatever body it announced stays unread
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	reds, err1 := protocol.ParseRunsQuery(r.URL.Query())
	maps, err2 := protocol.DecodeRunsRequest(body)
	if err1 != nil || err2 != nil || len(reds)*len(maps) > protocol.MaxRunsFrames {
		http.Error(rw, "bad runs request", http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(rw)
	w.writeRuns(rw, maps, reds, func() { rc.SetWriteDeadline(time.Now().Add(time.Minute)) })
}

// writeRuns writes the frames of maps' runs for each reduce task of reds
// in turn to out, calling each before each frame; a failure truncates the
// stream, and the reducer fetches the rest again.
func (w *Worker) writeRuns(out io.Writer, maps []protocol.MapAttempt, reds []int, each func()) error {
	bw := runsWriters.Get().(*bufio.Writer)
	bw.Reset(out)
	defer func() { bw.Reset(nil); runsWriters.Put(bw) }()
	for _, red := range reds {
		for _, m := range maps {
			each()
			if err := w.writeRun(bw, m, red); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// runsWriters and runsReaders are the buffers of run streams, reused: a
// job of thousands of small reduce tasks streams thousands of them.
var (
	runsWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}
	runsReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
)

// writeRun writes the frame of map attempt m's run for reduce task red:
// its partition's one run, or its runs as a run list (runfile's groups.go).
func (w *Worker) writeRun(bw *bufio.Writer, m protocol.MapAttempt, red int) error {
	var f *os.File
	var runs []runfile.Extent
	if w.outs.serves(runKey{m.Map, m.Attempt}) {
		var err error
		if f, runs, err = openRuns(runPath(w.dir, m.Map, m.Attempt), red); err == nil {
			defer f.Close()
		}
	}
	if runs == nil {
		bw.Write(protocol.AppendRunsFrame(nil, m, -1))
		return nil
	}
	sizes := make([]int64, len(runs))
	for i, e := range runs {
		sizes[i] = e.Size
	}
	size := sizes[0]
	if len(runs) > 1 {
		size = runfile.ListSize(sizes)
	}
	bw.Write(protocol.AppendRunsFrame(nil, m, size))
	if len(runs) > 1 {
		bw.Write(runfile.ListHeader(sizes))
	}
	for _, e := range runs {
		if _, err := io.Copy(bw, io.NewSectionReader(f, e.Off, e.Size)); err != nil {
			return err
		}
	}
	return nil
}

// openRuns opens the sections file at path and finds partition r's runs
// in it.
func openRuns(path string, r int) (*os.File, []runfile.Extent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		var runs []runfile.Extent
		if runs, err = runfile.Runs(f, st.Size(), r); err == nil {
			return f, runs, nil
		}
	}
	f.Close()
	return nil, nil, err
}

// verifyRuns checks each of runs of f by its trailer; it returns their
// bytes in all.
func verifyRuns(f *os.File, runs []runfile.Extent) (int64, error) {
	var total int64
	for _, e := range runs {
		if _, err := runfile.VerifyCopy(io.Discard, io.NewSectionReader(f, e.Off, e.Size), e.Size); err != nil {
			return 0, err
		}
		total += e.Size
	}
	return total, nil
}

// verifyOutputs checks whether this worker still holds each output intact
// (served, every run verified by its trailer), for the coordinator, which
// asked because reducers elsewhere could not fetch them; the answers go
// with the next heartbeat.
func (w *Worker) verifyOutputs(maps []protocol.MapAttempt) {
	nReduce := w.shape().nReduce
	for _, m := range maps {
		held := w.intact(m, nReduce)
		w.log.Info("output verified for the coordinator", "attempt", protocol.AttemptName(protocol.MapTask, m.Map, m.Attempt), "held", held)
		w.outs.verifiedOne(protocol.Verified{MapAttempt: m, Held: held})
	}
}

// intact reports whether map attempt m's output is served here, with
// nReduce runs that each verify.
func (w *Worker) intact(m protocol.MapAttempt, nReduce int) bool {
	served := w.outs.serves(runKey{m.Map, m.Attempt})
	if !served || nReduce < 1 {
		return false
	}
	for r := range nReduce {
		f, runs, err := openRuns(runPath(w.dir, m.Map, m.Attempt), r)
		if err != nil {
			return false
		}
		_, err = verifyRuns(f, runs)
		f.Close()
		if err != nil {
			return false
		}
	}
	return true
}
