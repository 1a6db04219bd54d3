// A map attempt's input, read from where it lives: each piece from this
// worker's own copy first (data.go), else from a peer holding it (GET
// /input on its run-file server), else from the coordinator (GET /split,
// the pieces left). Bytes from a copy or a peer are checked block by
// block against the assignment's checksums before any is used, and a
// source that fails or differs mid-piece leaves the rest to the next.
// An input that comes whole from the coordinator is read by the
// executor itself (splitTask). serveInput is the peer side.

package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/manifest"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/readahead"
	"mapreduce/internal/wire"
	"mapreduce/mr/executor"
)

// sourced counts where a map attempt's input bytes came from.
type sourced struct{ local, peer, coord int64 }

// count adds a map attempt's sources to its counters: the task is local
// when no byte came from elsewhere, a coordinator map when some came from
// the coordinator, a peer map otherwise.
func (s sourced) count(c *protocol.Counters) {
	c.LocalBytes, c.PeerBytes, c.CoordinatorBytes = s.local, s.peer, s.coord
	switch {
	case s.coord > 0:
		c.CoordinatorMaps = 1
	case s.peer > 0:
		c.PeerMaps = 1
	default:
		c.LocalMaps = 1
	}
}

// fetchSplit reads the attempt's input, size bytes, into path, from
// wherever it lives.
func (w *Worker) fetchSplit(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, size int64, path string) (sourced, error) {
	ctx, cancel := context.WithTimeout(ctx, w.transferTimeout(size))
	defer cancel()
	out, err := atomicfile.CreateScratch(path)
	if err != nil {
		return sourced{}, err
	}
	defer out.Abort()
	var src sourced
	if w.allFromCoordinator(t) {
		err, src.coord = w.coord.Split(ctx, a, "", size, out), size
	} else {
		err = w.readPieces(ctx, a, t, out, &src)
	}
	if err != nil {
		return sourced{}, fmt.Errorf("mr: reading split of %s: %w", describe(t.Inputs), err)
	}
	return src, out.Commit()
}

// splitTask points task at the attempt's input. When this worker holds
// all of it in its own copies, the executor reads them itself (Copies):
// each piece copied once, from the file into the memory of the process
// that maps it, and checked block by block there. When all of it comes
// from the coordinator, a request the executor sends itself (Fetch), the
// split then copied once, from the socket into that memory. Else the
// split file at path, which the worker fills from wherever the input
// lives. The request is signed now and sent at once: an app's process
// that must be started first has its hello timeout, 30 s, well within the
// signature's minute (wire.FreshWindow). Without copies, the executor
// reads no copy itself: the split comes as if the worker held none whole.
func (w *Worker) splitTask(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, task *executor.Task, path string, copies bool) (sourced, error) {
	size := inputSize(t.Inputs)
	task.Copies, task.Fetch, task.SplitPath = nil, nil, ""
	if copies {
		if cs := w.localCopies(t); cs != nil {
			task.Copies = cs
			return sourced{local: size}, nil
		}
	}
	if w.allFromCoordinator(t) {
		if f := w.coord.SplitFetch(a, size, w.transferTimeout(size), w.cfg.StallTimeout); f != nil {
			task.Fetch = f
			return sourced{coord: size}, nil
		}
	}
	task.SplitPath = path
	return w.fetchSplit(ctx, a, t, size, path)
}

// localCopies is the attempt's input as pieces of this worker's own
// copies, if it holds every input the task reads and the assignment
// describes every piece by its checksums; nil if not.
func (w *Worker) localCopies(t *protocol.GetTaskReply) []executor.Copy {
	if w.data == nil || len(t.Sources) != len(t.Inputs) {
		return nil
	}
	copies := make([]executor.Copy, len(t.Inputs))
	for k, p := range t.Inputs {
		s := &t.Sources[k]
		path, key, held := w.data.copyOf(s.Name)
		piece := manifest.Piece{Size: s.Size, Sums: s.Sums, BS: t.BlockSize, Off: p.Offset, Len: p.Length}
		if !held || key.Size != s.Size || piece.Check() != nil {
			return nil // an assignment that does not fit is no fault of the copy's
		}
		copies[k] = executor.Copy{Path: path, Key: key, Piece: piece}
	}
	return copies
}

// allFromCoordinator reports whether nothing of the input can come from
// elsewhere than the coordinator: then it comes in one request, as from
// a coordinator that names no sources.
func (w *Worker) allFromCoordinator(t *protocol.GetTaskReply) bool {
	if len(t.Sources) != len(t.Inputs) {
		return true
	}
	for _, s := range t.Sources {
		if !s.Coordinator || (len(s.Sums) > 0 && (len(s.Holders) > 0 || (w.data != nil && w.data.holds(s.Name)))) {
			return false
		}
	}
	return true
}

// readPieces reads every piece of the input into out, each from the
// best source that has it.
func (w *Worker) readPieces(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, out io.Writer, src *sourced) error {
	for k := range t.Inputs {
		if err := w.readPiece(ctx, a, t, k, out, src); err != nil {
			return err
		}
	}
	return nil
}

// readPiece reads piece k of the input into out: from this worker's copy,
// else from the holders one after the other, else from the coordinator,
// each going on where the one before stopped. A piece without checksums
// (its input not described yet) comes from the coordinator alone.
func (w *Worker) readPiece(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, k int, out io.Writer, src *sourced) error {
	p, s := t.Inputs[k], &t.Sources[k]
	cp := manifest.NewCopier(manifest.Piece{Size: s.Size, Sums: s.Sums, BS: t.BlockSize, Off: p.Offset, Len: p.Length}, out)
	checkable := len(s.Sums) > 0
	if checkable && !cp.Finished() && w.data != nil && w.data.holds(s.Name) {
		n, err := w.readLocal(ctx, cp, s.Name, t.BlockSize)
		if src.local += n; err != nil {
			return err
		}
	}
	for _, h := range s.Holders {
		if !checkable || cp.Finished() {
			break
		}
		n, err := w.readPeer(ctx, cp, h, s, t.BlockSize)
		if src.peer += n; err != nil {
			return err
		}
	}
	switch {
	case cp.Finished():
		return nil
	case !s.Coordinator:
		return fmt.Errorf("no live source of input %s has bytes %d to %d (holders tried: %d)", s.Name,
			p.Offset+cp.Done(), p.Offset+p.Length, len(s.Holders))
	}
	rest := p.Length - cp.Done()
	if err := w.coord.Split(ctx, a, protocol.SplitPieceQuery(k, cp.Done(), 1), rest, out); err != nil {
		return err
	}
	src.coord += rest
	return nil
}

// readLocal reads what is left of a piece from this worker's copy of
// input name. A copy that differs, or changed since it was listed, is
// dropped (dropCopy): the piece goes on from the next source. Only a
// failure to write the split is returned.
func (w *Worker) readLocal(ctx context.Context, cp *manifest.Copier, name string, bs int64) (int64, error) {
	f, err := w.data.open(name)
	if f == nil {
		if err != nil {
			w.dropCopy(ctx, name, err, false)
		}
		return 0, nil
	}
	defer f.Close()
	first, n := cp.Next()
	readahead.File(f, int64(first)*bs, int64(n)*bs)
	got, err := cp.ReadBlocks(io.NewSectionReader(f, int64(first)*bs, int64(n)*bs))
	var we *manifest.WriteError
	switch {
	case errors.As(err, &we):
		return got, err
	case err != nil:
		w.dropCopy(ctx, name, fmt.Errorf("%w: its %v", errCopyDiffers, err), true)
	}
	return got, nil
}

// errCopyDiffers is a worker's copy of an input that does not match the
// job's checksums.
var errCopyDiffers = errors.New("the copy differs from the job's input")

// readPeer reads what is left of a piece from the peer at holder. A peer
// that fails or sends bytes that differ is given up for this piece; only
// a failure to write the split is returned.
func (w *Worker) readPeer(ctx context.Context, cp *manifest.Copier, holder string, s *protocol.InputSource, bs int64) (int64, error) {
	if protocol.CheckAddr(holder) != nil {
		return 0, nil
	}
	name := s.Name
	first, n := cp.Next()
	off := int64(first) * bs
	size := min(off+int64(n)*bs, s.Size) - off // the last block may be short
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, protocol.InputURL(holder, name, off, size), nil)
	if err != nil {
		return 0, nil
	}
	if key := w.sec.keys.FetchKey(); key != nil {
		wire.SignBody(req, key, w.coord.Now(), nil)
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		w.log.Info("input not read from peer", "peer", holder, "input", name, "err", err)
		return 0, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.log.Info("input not read from peer", "peer", holder, "input", name, "status", resp.Status)
		return 0, nil
	}
	got, err := cp.ReadBlocks(io.LimitReader(resp.Body, size))
	var we *manifest.WriteError
	switch {
	case errors.As(err, &we):
		return got, err
	case err != nil:
		w.log.Warn("input from peer not used", "peer", holder, "input", name, "err", err)
	}
	return got, nil
}

// serveInput sends a peer bytes of an input this worker holds: a name
// the coordinator took as an input of its job, looked up, never used as
// a path; a range within the file. With a job secret the request is
// signed with the job's fetch key; the body, if any, is never read.
func (w *Worker) serveInput(rw http.ResponseWriter, r *http.Request) {
	if err := w.checkInputRequest(r); err != nil {
		w.refused(r.RemoteAddr, "GET "+r.URL.Path, err)
		rw.Header().Set("Connection", "close")
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	netx.MarkRequest(r)
	name, off, n, ok := protocol.ParseInputQuery(r.URL.Query())
	if !ok {
		http.Error(rw, "bad input request: want ?name&off&len", http.StatusBadRequest)
		return
	}
	var f *os.File
	if w.data != nil {
		f, _ = w.data.open(name)
	}
	if f == nil {
		http.Error(rw, "input not held here", http.StatusNotFound)
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || off+n > st.Size() || off+n < off {
		http.Error(rw, "range outside the input", http.StatusBadRequest)
		return
	}
	readahead.File(f, off, n)
	http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(time.Minute + time.Duration(n>>20)*time.Second))
	rw.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	io.Copy(rw, io.NewSectionReader(f, off, n))
}

// checkInputRequest checks, with a job secret, GET /input's signature
// (the job's fetch key, over an empty body), its freshness and replay.
func (w *Worker) checkInputRequest(r *http.Request) error {
	key := w.sec.keys.FetchKey()
	if key == nil {
		return nil
	}
	if err := wire.VerifyBodyHeaders(r, key, w.coord.Now(), w.sec.fresh.From(netx.Host(r.RemoteAddr))); err != nil {
		return err
	}
	if r.ContentLength != 0 {
		return errors.New("a body where none belongs")
	}
	return wire.CheckBodyDigest(r.Header, nil)
}
