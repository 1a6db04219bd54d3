// inputs.go: inputs where they live: the job planned from inputs the
// coordinator holds or from a manifest alone (planJob), workers saying
// which inputs they hold (Hold), each map assignment telling where each
// piece of its input can be read and how to check it (assignLocked),
// and GET /split serving what a worker could read from no one else,
// from the file the job listed, every block checked against its
// description first once it is described (sendPiece). content.go holds
// the inputs by content.

package coordinator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
	"mapreduce/internal/readahead"
	"mapreduce/internal/wire"
	"mapreduce/mr/scheduler"
)

// maxHolders bounds the holders an assignment names for one piece.
const maxHolders = 3

// expandArgs lists the job's input files, none for a job planned from a
// manifest (which takes no inputs).
func expandArgs(cfg Config, args []string) ([]string, []string, error) {
	if cfg.Manifest == "" {
		return input.Expand(args)
	}
	if len(args) > 0 {
		return nil, nil, fmt.Errorf("mr: inputs %s given with -manifest %s: give one or the other", args[0], cfg.Manifest)
	}
	return nil, nil, nil
}

// planJob cuts the job into map tasks: from cfg.Manifest, or from the
// inputs.
func planJob(cfg Config, inputs []string) ([][]protocol.Split, map[string]input.File, *jobInputs, error) {
	opt := input.Options{Split: cfg.SplitSize, Small: cfg.SmallFile, Pack: cfg.PackSize,
		WholeFiles: cfg.WholeFiles, Binary: cfg.Binary}
	if cfg.Manifest != "" {
		m, err := readManifest(cfg.Manifest)
		if err != nil {
			return nil, nil, nil, err
		}
		tasks, files := input.ManifestTasks(m, opt)
		return tasks, files, manifestInputs(m), nil
	}
	tasks, files, err := input.Tasks(inputs, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	return tasks, files, newJobInputs(inputs, files, cfg.blockSize, cfg.Logger), nil
}

// readManifest reads and checks the manifest file at path.
func readManifest(path string) (*manifest.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mr: manifest %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	m, err := manifest.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%w (manifest %s; write it again with mrmanifest)", err, path)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("mr: manifest %s lists no input", path)
	}
	return m, nil
}

// homes is, for each map task, the input that gives it the most bytes
// (its home, where locality is looked for) and every input it reads.
func (in *jobInputs) homes(tasks [][]protocol.Split, files map[string]input.File) ([]int, [][]int) {
	homes, reads := make([]int, len(tasks)), make([][]int, len(tasks))
	for t, pieces := range tasks {
		homes[t] = -1
		var most int64 = -1
		for _, p := range pieces {
			i := files[p.File].Index
			reads[t] = append(reads[t], i)
			if p.Length > most {
				homes[t], most = i, p.Length
			}
		}
	}
	return homes, reads
}

// Hold answers which files of a worker's data directory are inputs of the
// job, by name and size, and with args.Commit records that it holds them.
// A name is only looked up, never used as a path. The first input named
// has the coordinator describe its inputs, if it holds them; a commit
// waits a second at most for that, so that a small job's first tasks
// already read where the data lives.
func (r *coordRPC) Hold(args *protocol.HoldArgs, reply *protocol.HoldReply) error {
	if !r.as(args.WorkerID) {
		return nil
	}
	if len(args.Files) > protocol.MaxHoldBatch {
		return fmt.Errorf("mr: %d files in one Hold, at most %d", len(args.Files), protocol.MaxHoldBatch)
	}
	c := r.c
	var held []int
	for _, f := range args.Files {
		if i, ok := c.in.holdable[f.Name]; ok && c.in.sizes[i] == f.Size {
			held = append(held, i)
			reply.Held = append(reply.Held, f.Name)
		}
	}
	if len(held) > 0 {
		c.in.wanted()
	}
	if i, ok := c.in.holdable[args.Differs]; ok {
		c.update(func(s *scheduler.Scheduler, now time.Time) {
			s.Hold(args.WorkerID, scheduler.Holding{Differs: []int{i}}, now)
		})
	}
	if args.Commit {
		h := scheduler.Holding{Inputs: held, First: args.First, Commit: true}
		c.update(func(s *scheduler.Scheduler, now time.Time) { s.Hold(args.WorkerID, h, now) })
		if len(held) > 0 {
			c.in.waitDescribed(time.Second, c.life.stop)
		}
	}
	return nil
}

// assignLocked completes an assignment that reads a split (a map task, or
// a map-only job's task) to worker: its input and, for a map task, where
// each piece can be read and how to check it. A map-only job's tasks read
// from the coordinator.
func (c *Coordinator) assignLocked(s *scheduler.Scheduler, t *protocol.GetTaskReply, worker string) {
	if t.Action == protocol.ActReduce && c.model.mapOnly {
		t.Inputs = c.tasks[t.Task]
	}
	if t.Action != protocol.ActMap {
		return
	}
	t.Inputs = c.tasks[t.Task]
	t.BlockSize = c.in.bs
	t.Sources = make([]protocol.InputSource, len(t.Inputs))
	for k, p := range t.Inputs {
		i := c.files[p.File].Index
		src := protocol.InputSource{Name: c.in.names[i], Size: c.in.sizes[i], Coordinator: c.in.own}
		if f := c.in.describedAs(i); f != nil {
			first, n := manifest.Cover(p.Offset, p.Length, t.BlockSize)
			src.Sums = f.Sums[first : first+n]
			if _, holdable := c.in.holdable[f.Name]; holdable {
				src.Holders = s.Holders(i, worker, maxHolders)
			}
		}
		t.Sources[k] = src
	}
}

// handleSplit sends a running map attempt its input, or the pieces of it
// the query names (?piece=I&skip=K&count=N: pieces I to I+N-1, from K
// bytes into the first). An input the coordinator can no longer read as
// the job first saw it ends the job.
func (c *Coordinator) handleSplit(w http.ResponseWriter, r *http.Request) {
	kind := protocol.MapTask
	if c.model.mapOnly {
		kind = protocol.ReduceTask // a map-only job's tasks
	}
	a, err := wire.ParseAttempt(r, kind)
	if err != nil {
		refuse(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := c.authorize(r, a.WorkerID); err != nil {
		c.unauthorized(w, r, err)
		return
	}
	if !c.running(a) && (kind != protocol.MapTask || !c.readsPart(a)) {
		http.Error(w, "no such running map attempt", http.StatusConflict)
		return
	}
	if !c.in.own {
		http.Error(w, "the coordinator holds no copy of the inputs (a manifest job): read them from a worker holding them", http.StatusNotFound)
		return
	}
	pieces, err := selectPieces(c.tasks[a.Task], r)
	if err != nil {
		refuse(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.sendSplit(w, a.Task, pieces, !r.URL.Query().Has("piece"))
}

// sendSplit sends pieces of task's input (all of it if whole), asking the
// device for them as it starts and, once they are sent, for the next
// split (nextSplit).
func (c *Coordinator) sendSplit(w http.ResponseWriter, task int, pieces []protocol.Split, whole bool) {
	go prefetch(pieces)
	if next := c.nextSplit(task, whole); next != nil {
		defer func() { go prefetch(next) }()
	}
	size := taskSize(pieces)
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(transferDeadline(size)))
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	for _, p := range pieces {
		if err := c.sendPiece(w, p); err != nil {
			// The coordinator's own input: no worker is to blame, and
			// no other attempt could do better. The worker sees a short
			// body; the job is over by then.
			c.fail(err)
			return
		}
	}
}

// nextSplit is what to read from the device once a GET /split for task's
// split (all of it if whole) is sent, while it is mapped: the split most
// likely asked for next (scheduler.NextMap: the one this attempt may
// absorb, or the next handed out; in a map-only job, the next task's);
// nil for a piece asked for again, or none to guess (each split is
// guessed once). Not sooner: its reads would slow this split's.
func (c *Coordinator) nextSplit(task int, whole bool) []protocol.Split {
	if !whole {
		return nil
	}
	next := task + 1
	if !c.model.mapOnly {
		c.mu.Lock()
		if c.readAhead == nil {
			c.readAhead = make([]bool, len(c.tasks))
		}
		// Each guess a split not guessed before: with W workers asking,
		// the next W splits are read ahead, not the first one W times.
		next = c.sched.NextMap(task, func(i int) bool { return c.readAhead[i] })
		if next >= 0 && next < len(c.readAhead) {
			c.readAhead[next] = true
		}
		c.mu.Unlock()
	}
	if next < 0 || next >= len(c.tasks) {
		return nil
	}
	return c.tasks[next]
}

// prefetch asks the kernel to read the pieces of a split into the page
// cache (readahead), without waiting for them: while a split is sent, so
// that a split partly out of the cache does not wait for each missing
// stretch in turn (a split cached already costs a walk of the cache); and
// the next one. Pieces under readahead.From are left to the kernel.
func prefetch(pieces []protocol.Split) {
	for _, p := range pieces {
		readahead.Path(p.File, p.Offset, p.Length)
	}
}

// selectPieces is the part of a task's input a GET /split asks for: all
// of it, or the pieces its query names.
func selectPieces(all []protocol.Split, r *http.Request) ([]protocol.Split, error) {
	q := r.URL.Query()
	if !q.Has("piece") {
		return all, nil
	}
	piece, err1 := strconv.Atoi(q.Get("piece"))
	count, err2 := strconv.Atoi(q.Get("count"))
	skip, err3 := strconv.ParseInt(q.Get("skip"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || piece < 0 || count < 1 || piece+count > len(all) || piece+count < piece ||
		skip < 0 || skip > all[piece].Length {
		return nil, errors.New("bad pieces: want ?piece=I&skip=K&count=N within the task's input")
	}
	out := append([]protocol.Split(nil), all[piece:piece+count]...)
	out[0].Offset, out[0].Length = out[0].Offset+skip, out[0].Length-skip
	return out, nil
}

// sendPiece sends one piece of a map task's input from the file the job
// first saw: the same file (device and inode: a name swapped for a link
// to another file is refused), of the same size and time, and every block
// covering the piece as the manifest has it, each checked before a byte
// of it is sent. Errors are the coordinator's own, but for a failure to
// write to the worker, which is nil here.
func (c *Coordinator) sendPiece(w io.Writer, p protocol.Split) error {
	f, err := os.Open(p.File)
	if err != nil {
		return fmt.Errorf("mr: coordinator cannot read its input: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("mr: coordinator cannot read its input: %w", err)
	}
	was := c.files[p.File]
	if dev, ino := input.FileID(st); dev != was.Dev || ino != was.Ino {
		return fmt.Errorf("mr: input %s is no longer the file the job started with (another file, or a link to one, "+
			"took its name): run the job again on inputs that stay put", p.File)
	}
	if st.Size() != was.Size || !st.ModTime().Equal(was.ModTime) {
		return fmt.Errorf("mr: input %s changed while the job ran (it was %d bytes modified at %s, is %d bytes modified at %s): "+
			"its splits no longer hold; run the job again on inputs that stay put", p.File, was.Size,
			was.ModTime.Format(time.RFC3339Nano), st.Size(), st.ModTime().Format(time.RFC3339Nano))
	}
	mf := c.in.describedAs(was.Index)
	if mf == nil {
		return copyPiece(w, f, p)
	}
	bs := c.in.bs
	cp := manifest.NewCopier(manifest.PieceOf(mf, bs, p.Offset, p.Length), markWrites{w})
	first, n := cp.Next()
	_, err = cp.ReadBlocks(io.NewSectionReader(f, int64(first)*bs, int64(n)*bs))
	var werr *writeError
	switch {
	case errors.As(err, &werr):
		return nil // the worker went away or stalled: its attempt, not the job
	case errors.Is(err, manifest.ErrMismatch):
		return fmt.Errorf("mr: input %s changed while the job ran (%v): run the job again on inputs that stay put", p.File, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("mr: input %s is shorter than when the job started: run the job again on inputs that stay put", p.File)
	case err != nil:
		return fmt.Errorf("mr: coordinator cannot read its input %s: %w", p.File, err)
	}
	return nil
}

// copyPiece sends piece p of input f, not described yet, as it is: from
// the file to the socket by the kernel (sendfile) when w is an HTTP
// response, so that the coordinator neither reads the bytes nor copies
// them again. A failure there may be either side's: if f still reads where
// the copy stopped, it was the worker's (it went away or stalled: its
// attempt, not the job).
func copyPiece(w io.Writer, f *os.File, p protocol.Split) error {
	if _, err := f.Seek(p.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("mr: coordinator cannot read its input %s: %w", p.File, err)
	}
	n, err := io.Copy(w, io.LimitReader(f, p.Length))
	if err != nil {
		if n == p.Length {
			return nil // all read: the write failed
		}
		var b [1]byte
		switch _, rerr := f.ReadAt(b[:], p.Offset+n); {
		case rerr == nil:
			return nil // the file reads on: the write failed
		case rerr != io.EOF:
			return fmt.Errorf("mr: coordinator cannot read its input %s: %w", p.File, rerr)
		}
	}
	if n != p.Length {
		return fmt.Errorf("mr: input %s is shorter than when the job started (%d bytes at %d missing): "+
			"run the job again on inputs that stay put", p.File, p.Length-n, p.Offset+n)
	}
	return nil
}
