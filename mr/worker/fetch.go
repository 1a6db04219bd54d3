// A reducer's fetch: where the map outputs are (Sources, Locate), and
// their runs for its reduce task, one batch per owner, each run verified
// by its own trailer as it is written; a run a batch did not bring is
// fetched alone, and, if its owner keeps failing, located again, which
// re-runs a map whose output is lost (on evidence: see mr/scheduler).

package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
)

// newHTTPClient is the worker's client for splits, runs and uploads.
// Every read on its connections must make progress within StallTimeout,
// so a hung or frozen peer (which still completes TCP handshakes) costs
// seconds, not the whole FetchTimeout.
func newHTTPClient(cfg Config) *http.Client {
	return netx.HTTPClient(cfg.DialTimeout, cfg.StallTimeout, cfg.FetchParallel)
}

// fetchAll brings every map task's run for this reduce attempt into dir:
// first one batch per owner (into one file each), FetchParallel at a
// time; then, for each run a batch did not bring, retries and, if need
// be, a new location from the coordinator, which re-runs a map whose
// output is lost. It returns where each map's run is, and the bytes
// fetched.
func (w *Worker) fetchAll(ctx context.Context, a protocol.Attempt, t *protocol.GetTaskReply, dir string) ([]runfile.Segment, int64, error) {
	src, err := w.sources(ctx, t.SourcesVersion, t.NMap)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	var total int64
	var fetched int
	got := make([]bool, t.NMap)
	segs := make([]runfile.Segment, t.NMap)
	done := func(m protocol.MapAttempt, seg runfile.Segment, err error) {
		if err == nil {
			mu.Lock()
			got[m.Map], segs[m.Map], total, fetched = true, seg, total+seg.Size, fetched+1
			w.progress.set(0.5 * float64(fetched) / float64(max(len(got), 1)))
			mu.Unlock()
		}
	}
	takeAbsorbed(src, done)
	w.parallel(ctx, len(src.owners), func(o int) {
		maps := byOwner(src, o)
		if w.isSelf(src.owners[o]) {
			if maps = w.ownRuns(maps, a.Task, done); len(maps) == 0 {
				return
			}
		}
		part := runsPart{r: a.Task, path: batchPath(dir, "owner-"+strconv.Itoa(o)), done: done}
		if err := w.fetchBatch(ctx, src.owners[o], []runsPart{part}, maps, inlineBudget/len(src.owners)); err != nil {
			var local *localError
			if errors.As(err, &local) {
				cancel(err)
				return
			}
			w.log.Info("fetch failed", "attempt", a.String(), "from", src.owners[o], "err", err)
		}
	})
	if err := w.fillIn(ctx, a, src, got, dir, done); err != nil {
		cancel(err)
	}
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	return segs, total, nil
}

// fillIn fetches, each alone, the runs of reduce attempt a that its
// batch did not bring (got), retrying and locating them again as need
// be; done hears of each. The first failure stops the others and is
// returned.
func (w *Worker) fillIn(ctx context.Context, a protocol.Attempt, src *sourceMap, got []bool, dir string,
	done func(protocol.MapAttempt, runfile.Segment, error)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.parallel(ctx, len(got), func(m int) {
		if got[m] {
			return
		}
		var loc protocol.Location
		if s := src.maps[m]; s.Attempt > 0 {
			loc = protocol.Location{Map: m, Attempt: s.Attempt, Addr: src.owners[s.Owner]}
		} else {
			loc.Map = m // being re-run: wait for it
		}
		if err := w.fetchSource(ctx, a, loc, dir, done); err != nil {
			cancel(err)
		}
	})
	return context.Cause(ctx)
}

// takeAbsorbed tells done of every map task src says is absorbed: its
// run is empty, and there is nothing to fetch (fetchedRuns leaves it out).
func takeAbsorbed(src *sourceMap, done func(protocol.MapAttempt, runfile.Segment, error)) {
	for _, m := range src.absorbed {
		done(protocol.MapAttempt{Map: m}, runfile.Segment{}, nil)
	}
}

// fetchedRuns are the runs a reduce attempt merges: those fetched, in
// map order, without the empty places of absorbed maps (a run fetched or
// read in place has a path or data).
func fetchedRuns(segs []runfile.Segment) []runfile.Segment {
	out := make([]runfile.Segment, 0, len(segs))
	for _, s := range segs {
		if s.Path != "" || s.Data != nil {
			out = append(out, s)
		}
	}
	return out
}

// isSelf reports whether owner is this worker's advertised address.
func (w *Worker) isSelf(owner string) bool {
	w.sess.mu.Lock()
	defer w.sess.mu.Unlock()
	return owner == w.sess.addr
}

// ownRuns tells done where the runs for reduce task r of the maps this
// worker serves lie, in their own sections files, which the merge reads
// in place, each verified by its trailer first, as a fetched copy is: a
// copy would cost writing them once more and reading them twice. It
// returns the maps whose runs it did not find intact, to be fetched as
// any other (so that a damaged one is located again, and its map re-run).
func (w *Worker) ownRuns(maps []protocol.MapAttempt, r int, done func(protocol.MapAttempt, runfile.Segment, error)) []protocol.MapAttempt {
	var rest []protocol.MapAttempt
	for _, m := range maps {
		path := runPath(w.dir, m.Map, m.Attempt)
		if !w.outs.serves(runKey{m.Map, m.Attempt}) {
			rest = append(rest, m)
			continue
		}
		f, runs, err := openRuns(path, r)
		var size int64
		if err == nil {
			size, err = verifyRuns(f, runs)
			f.Close()
		}
		if err != nil { // fetched as any other: a damaged output is then located again
			rest = append(rest, m)
			continue
		}
		seg := runfile.Segment{Path: path, Off: runs[0].Off, Size: size}
		if len(runs) > 1 {
			seg.Runs = runs
		}
		done(m, seg, nil)
	}
	return rest
}

// parallel calls f(0..n-1), FetchParallel at a time, until ctx ends.
func (w *Worker) parallel(ctx context.Context, n int, f func(i int)) {
	sem := make(chan struct{}, w.cfg.FetchParallel)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

// byOwner lists the map attempts owner o holds.
func byOwner(src *sourceMap, o int) []protocol.MapAttempt {
	var maps []protocol.MapAttempt
	for _, s := range src.maps {
		if s.Attempt > 0 && s.Owner == o {
			maps = append(maps, protocol.MapAttempt{Map: s.Map, Attempt: s.Attempt})
		}
	}
	return maps
}

// fetchSource fetches one map task's run, retrying with backoff, then
// asking the coordinator for a new location whenever the current one
// fails; done hears of the fetched run.
func (w *Worker) fetchSource(ctx context.Context, a protocol.Attempt, loc protocol.Location, dir string,
	done func(protocol.MapAttempt, runfile.Segment, error)) error {
	for {
		err := errors.New("location unknown")
		if loc.Attempt > 0 {
			err = w.fetchOne(ctx, a, loc, dir, done)
		}
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return err // our own disk failing blames no map output
		}
		failed := loc.Attempt
		for {
			var rep *protocol.LocateReply
			args := &protocol.LocateArgs{Attempt: a, Map: loc.Map, Failed: failed}
			if err := w.retry(ctx, func() (err error) {
				rep, err = w.coord.Locate(args)
				return err
			}); err != nil {
				return err
			}
			if rep.Abort {
				return errAborted
			}
			if rep.Ready && rep.Source.Absorbed && rep.Source.Map == loc.Map {
				done(protocol.MapAttempt{Map: loc.Map}, runfile.Segment{}, nil)
				return nil
			}
			if rep.Ready {
				if err := checkLocation(rep.Source); err != nil || rep.Source.Map != loc.Map {
					return fmt.Errorf("mr: bad location of map %d: %v", loc.Map, err)
				}
				loc = rep.Source
				break
			}
			failed = 0
		}
	}
}

// fetchOne fetches one map task's run from loc, retrying with backoff.
func (w *Worker) fetchOne(ctx context.Context, a protocol.Attempt, loc protocol.Location, dir string,
	done func(protocol.MapAttempt, runfile.Segment, error)) error {
	m := protocol.MapAttempt{Map: loc.Map, Attempt: loc.Attempt}
	path := batchPath(dir, "map-"+strconv.Itoa(loc.Map))
	try := 0
	b := backoff{first: 100 * time.Millisecond, max: 2 * time.Second, tries: w.cfg.FetchRetries}
	return b.retry(ctx, func() (bool, error) {
		try++
		var missing error
		part := runsPart{r: a.Task, path: path, done: func(m protocol.MapAttempt, seg runfile.Segment, err error) {
			missing = err
			done(m, seg, err)
		}}
		err := w.fetchBatch(ctx, loc.Addr, []runsPart{part}, []protocol.MapAttempt{m}, 0)
		if err == nil {
			err = missing
		}
		var local *localError
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return true, err
		}
		w.log.Info("fetch failed", "attempt", protocol.AttemptName(protocol.MapTask, loc.Map, loc.Attempt),
			"for", a.String(), "from", loc.Addr, "try", try, "err", err)
		return false, err
	})
}

// sources returns where every map output is, as of version or newer,
// asking the coordinator only when the worker's copy is older.
func (w *Worker) sources(ctx context.Context, version, nMap int) (*sourceMap, error) {
	w.att.mu.Lock()
	src := w.att.src
	w.att.mu.Unlock()
	if src != nil && src.version >= version && len(src.maps) == nMap {
		return src, nil
	}
	var reply *protocol.SourcesReply
	args := &protocol.SourcesArgs{WorkerID: w.ID(), Version: version}
	if err := w.retry(ctx, func() (err error) {
		reply, err = w.coord.Sources(args, nMap)
		return err
	}); err != nil {
		return nil, err
	}
	src, err := unpackSources(reply, nMap)
	if err != nil {
		return nil, err
	}
	w.att.mu.Lock()
	if w.att.src == nil || src.version > w.att.src.version {
		w.att.src = src
	}
	w.att.mu.Unlock()
	return src, nil
}

// runsPart is one reduce task's part of a fetch: its runs go into the
// one file path, and done hears of each map attempt's.
type runsPart struct {
	r    int
	path string
	done func(m protocol.MapAttempt, seg runfile.Segment, err error)
}

// fetchBatch fetches from owner, in one request, each part's reduce
// task's runs of maps, into the part's file (or memory, up to inline
// bytes), each verified as it is written, and reports each map attempt's
// outcome to the part's done: where its run is, or why it is not there.
// A broken stream leaves the rest to be fetched again. A failure of this
// worker's own disk ends the batch with a *localError.
func (w *Worker) fetchBatch(ctx context.Context, owner string, parts []runsPart, maps []protocol.MapAttempt, inline int) error {
	rs := make([]int, len(parts))
	for i, p := range parts {
		rs[i] = p.r
	}
	stream, err := w.openRuns(ctx, owner, rs, maps)
	if err != nil {
		return err
	}
	defer stream.Close()
	if err := w.faults.diskFull(); err != nil {
		return &localError{err}
	}
	br := runsReaders.Get().(*bufio.Reader)
	br.Reset(stream)
	defer func() { br.Reset(nil); runsReaders.Put(br) }()
	for _, p := range parts {
		if err := readRuns(br, owner, maps, p, inline); err != nil {
			return err
		}
	}
	return nil
}

// readRuns reads one part's frames of maps' runs from br into its file.
func readRuns(br *bufio.Reader, owner string, maps []protocol.MapAttempt, p runsPart, inline int) error {
	out := runfile.NewSpill(p.path, inline)
	defer out.Abort()
	var saved []protocol.MapAttempt
	var segs []runfile.Segment
	var runs []runfile.Extent
	var off int64
	for _, want := range maps {
		got, size, err := protocol.ReadRunsFrame(br)
		switch {
		case err == nil && got != want:
			err = fmt.Errorf("%s sent map-%d.a%d for map-%d.a%d", owner, got.Map, got.Attempt, want.Map, want.Attempt)
		case err == nil && size < 0:
			p.done(want, runfile.Segment{}, fmt.Errorf("%s does not serve map-%d.a%d", owner, want.Map, want.Attempt))
			continue
		case err == nil:
			if runs, err = runfile.VerifyCopy(localWriter{out}, br, size); err != nil {
				err = fmt.Errorf("run of map-%d.a%d from %s: %w", want.Map, want.Attempt, owner, err)
			}
		}
		if err != nil { // keep what was verified; the rest is fetched again
			return commitBatch(out, saved, segs, p.done, err)
		}
		seg := runfile.Segment{Path: p.path, Off: off, Size: size}
		if len(runs) > 1 { // a run list: its runs, where they are in the batch
			for _, e := range runs {
				seg.Runs = append(seg.Runs, runfile.Extent{Off: off + e.Off, Size: e.Size})
			}
		}
		saved, segs = append(saved, want), append(segs, seg)
		off += size
	}
	return commitBatch(out, saved, segs, p.done, nil)
}

// commitBatch publishes a batch (a file, or memory if it stayed small)
// and tells done where each verified run is; it returns cause, or the
// commit's failure.
func commitBatch(out *runfile.Spill, saved []protocol.MapAttempt, segs []runfile.Segment,
	done func(protocol.MapAttempt, runfile.Segment, error), cause error) error {
	var local *localError
	if errors.As(cause, &local) {
		return cause
	}
	base, err := out.Commit()
	if err != nil {
		return &localError{err}
	}
	for i, m := range saved {
		seg := segs[i]
		seg.Path, seg.Data = base.Path, base.Data
		done(m, seg, nil)
	}
	return cause
}

// inlineBudget bounds the fetched runs a reduce attempt keeps in memory
// rather than in files, shared among its batches: most reduce tasks of a
// job of many are small, and a file each costs more than their work.
const inlineBudget = 4 << 20

// batchPath is where a reducer keeps the runs one batch brought, named
// after their owner ("owner-3") or, fetched alone, their map ("map-7").
func batchPath(dir, name string) string { return filepath.Join(dir, name+".runs") }

// openRuns opens the stream of frames of maps' runs for reduce tasks rs
// from owner: over HTTP (POST /runs), or, when the owner is this worker,
// straight from its own files, so that a worker always reaches its own
// outputs however busy its server is.
func (w *Worker) openRuns(ctx context.Context, owner string, rs []int, maps []protocol.MapAttempt) (io.ReadCloser, error) {
	if w.isSelf(owner) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(w.writeRuns(pw, maps, rs, func() {})) }()
		return pr, nil
	}
	body := protocol.EncodeRunsRequest(maps)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, protocol.RunsURL(owner, rs), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if key := w.sec.keys.FetchKey(); key != nil {
		wire.SignBody(req, key, w.coord.Now(), body)
	}
	resp, err := w.httpc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s answered %s", owner, resp.Status)
	}
	return resp.Body, nil
}
