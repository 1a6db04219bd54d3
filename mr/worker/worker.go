// worker.go: the Worker, its state grouped by concern, and its run: the
// task loop, each assignment run under a context that a coordinator
// forgetting the worker cancels.

package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
	"mapreduce/mr/executor"
)

// Worker runs tasks for one coordinator: it registers, heartbeats on its
// own goroutine, asks for attempts and runs them, and serves the run files
// of its committed map attempts to reducers.
type Worker struct {
	cfg    Config
	log    *slog.Logger
	dir    string
	ownDir bool // dir is a temp dir of ours, removed on Close
	coord  coordinator
	live   *liveness // the coordinator as this worker sees it: answering, lost, ...
	httpc  *http.Client
	exec   executor.Executor // runs the app's code
	faults *faults           // failures to inject, for tests (Config.Faults)
	data   *dataDir          // the inputs this worker holds (Config.Data); nil if none
	sec    security          // the run-file server's keys, replay cache and refusal log
	srv    fileServer        // the run-file server
	wg     sync.WaitGroup
	closed atomic.Bool

	heapLimit atomic.Int64 // the app's Go heap limit, for its tasks (0: none)
	progress  progressMeter

	sess session  // the registration
	outs outputs  // the map outputs served
	att  attempts // the running attempt
	up   uploads  // the reduce output being uploaded while the next attempt runs
}

// security is what guards the run-file server and signs this worker's
// requests to peers. Set in New, then only read: each is safe for
// concurrent use.
type security struct {
	keys   *auth.Keys    // nil without a secret
	fresh  *auth.Replay  // nonces of signed run-file requests
	refuse *auth.Limiter // one log line per refused peer per minute
}

// fileServer serves this worker's runs and held inputs to peers. Set in
// New, then only read.
type fileServer struct {
	ln    net.Listener
	files *http.Server
}

// session is the worker's registration with its job, replaced at each
// registration.
type session struct {
	// mu guards id, job, addr, every and model.
	mu    sync.Mutex
	id    string        // the worker's id at the coordinator
	job   string        // the job's id, as the coordinator said at registration
	addr  string        // advertised host:port of the run-file server
	every time.Duration // how often to heartbeat, as the coordinator said
	model jobModel      // the job's parameters and shape (model.go)
}

// attempts is the running attempt, and where the map outputs its
// reducers fetch are.
type attempts struct {
	// mu guards stop and src.
	mu   sync.Mutex
	stop context.CancelFunc // cancels the running attempt, if any
	src  *sourceMap         // where the map outputs are, latest version seen
}

// New prepares a worker: its directory and its run-file server's
// listener. Run does the rest.
func New(cfg Config) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, dir: cfg.Dir, exec: cfg.Executor,
		live: newLiveness(cfg, time.Now), outs: outputs{served: make(map[runKey]bool)}}
	if w.dir == "" {
		d, err := os.MkdirTemp("", "mrworker-")
		if err != nil {
			return nil, fmt.Errorf("mr: worker directory: %w", err)
		}
		w.dir, w.ownDir = d, true
	} else if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, fmt.Errorf("mr: worker directory: %w", err)
	}
	w.data = cfg.data
	if cfg.Data != "" && w.data == nil {
		if w.data, err = newDataDir(cfg.Data); err != nil {
			w.removeDir()
			return nil, err
		}
	}
	ln, err := netx.Listen(cfg.Listen)
	if err != nil {
		w.removeDir()
		return nil, fmt.Errorf("mr: %w", err)
	}
	w.faults = newFaults(cfg.Faults)
	w.sec = security{keys: auth.New(cfg.Secret), fresh: auth.NewReplayQuota(wire.FreshWindow, 1<<20, 1<<17),
		refuse: auth.NewLimiter(time.Minute)}
	w.srv.ln = netx.NewListener(ln, netx.Config{MaxConns: cfg.MaxConns,
		Refused: func(host, why string) { w.refused(host, why, nil) }})
	w.httpc = newHTTPClient(cfg)
	w.coord = newClient(cfg, w.sec.keys, w.httpc, w.forgotten)
	w.srv.files = &http.Server{Handler: w.fileMux(), ReadHeaderTimeout: 5 * time.Second, ConnContext: netx.ConnContext,
		IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	return w, nil
}

// errExit ends a worker's run: the job is over.
var errExit = errors.New("mr: job over")

// Run works until the coordinator says the job is over (nil), the
// coordinator is lost, or ctx ends.
func (w *Worker) Run(outer context.Context) error {
	ctx, cancel := context.WithCancelCause(outer)
	defer cancel(nil)
	defer w.coord.Close() // hanging up tells the coordinator we heard the end
	w.wg.Go(func() { w.srv.files.Serve(w.srv.ln) })
	w.live.started()
	if err := w.register(ctx); err != nil {
		return err
	}
	w.wg.Go(func() { w.heartbeat(ctx, cancel) })
	w.announceHeld(ctx)
	loop := make(chan error, 1)
	w.wg.Go(func() { loop <- w.loop(ctx) }) // Run does not wait for it: an app call may never return; Close does
	var err error
	select {
	case err = <-loop:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	cancel(err)
	if outer.Err() != nil && w.ID() != "" {
		w.stopped()
	}
	if errors.Is(err, errExit) {
		w.log.Info("job over, worker exiting", "worker", w.ID())
		return nil
	}
	return err
}

// stopped tells the coordinator that the worker, stopped from outside (a
// signal), leaves, so that the job redoes its work now rather than after
// the heartbeat timeout; or, with the silent-stop fault, vanishes as a
// crashed worker would: no word, and its file server closed at once.
func (w *Worker) stopped() {
	if w.faults.silentStop {
		w.srv.files.Close()
		return
	}
	if err := w.coord.Leave(w.ID()); err == nil {
		w.log.Info("left the job", "worker", w.ID())
	}
}

// Close stops the file server and the app's process, waits for the task
// loop, and removes the worker's temp directory. It may be called more
// than once, after Run has returned. An app called in process
// (executor.InProcess) cannot be stopped: Close waits for its call to
// return, and for the attempt to end.
func (w *Worker) Close() error {
	if !w.closed.CompareAndSwap(false, true) {
		return nil
	}
	w.coord.Close()
	w.exec.Close()
	w.srv.files.Close() // the job is over or we are gone: nobody needs our files
	w.srv.ln.Close()
	w.httpc.CloseIdleConnections()
	w.wg.Wait()
	w.removeDir()
	return nil
}

// removeDir removes the temp dir, or from a directory we were given,
// the files and directories that we put there.
func (w *Worker) removeDir() {
	if w.ownDir {
		os.RemoveAll(w.dir)
		return
	}
	removeWorkerFiles(w.dir)
}

// ID is the worker's id at the coordinator ("" before registering).
func (w *Worker) ID() string {
	w.sess.mu.Lock()
	defer w.sess.mu.Unlock()
	return w.sess.id
}

// loop asks for attempts and runs them until told to exit.
func (w *Worker) loop(ctx context.Context) error {
	defer w.startUploads(ctx)()
	var next *protocol.GetTaskReply // handed out with the last report
	for ctx.Err() == nil {
		if w.live.mustRegister() {
			w.log.Warn("coordinator forgot this worker; registering again", "worker", w.ID())
			if err := w.register(ctx); err != nil {
				return err
			}
			w.announceHeld(ctx)
			next = nil
		}
		var t protocol.GetTaskReply
		id := w.ID()
		if next != nil {
			t, next = *next, nil
		} else if err := w.retry(ctx, func() error {
			reply, err := w.coord.GetTask(&protocol.GetTaskArgs{WorkerID: id, Committing: w.committing()})
			if err == nil {
				t = *reply
			}
			return err
		}); err != nil {
			return err
		}
		switch t.Action {
		case protocol.ActExit:
			if t.Reason != "" {
				return fmt.Errorf("mr: coordinator ended the job: %s", t.Reason)
			}
			return errExit
		case protocol.ActReregister:
			w.forgotten(id)
		case protocol.ActMap, protocol.ActReduce:
			next = w.runAttempt(ctx, &t)
		}
	}
	return context.Cause(ctx)
}

// runAttempt runs an attempt under a context that forgotten cancels: an
// attempt of a registration the coordinator no longer knows is stale.
func (w *Worker) runAttempt(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.att.mu.Lock()
	w.att.stop = cancel
	w.att.mu.Unlock()
	next := w.run(actx, t)
	w.att.mu.Lock()
	w.att.stop = nil
	w.att.mu.Unlock()
	if actx.Err() != nil && ctx.Err() == nil { // stopped because the coordinator forgot us: register again
		kind := protocol.MapTask
		if t.Action == protocol.ActReduce {
			kind = protocol.ReduceTask
		}
		a := w.attemptOf(kind, t)
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID, "why", "the coordinator forgot this worker")
		return nil
	}
	return next
}

// forgotten notes that the coordinator no longer knows this worker as id
// (it restarted, or declared it dead): it registers again, and the
// attempt it runs, stale now, stops. An answer to a call made under an
// earlier id, before the worker registered again, changes nothing: a
// second registration would orphan the first, and the outputs taken back
// with it.
func (w *Worker) forgotten(id string) {
	if id != w.ID() {
		return
	}
	w.live.forgotUs()
	w.att.mu.Lock()
	stop := w.att.stop
	w.att.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// run runs the attempt an assignment describes, once it is known sane. It
// returns the next assignment, if the coordinator handed one out with the
// report.
func (w *Worker) run(ctx context.Context, t *protocol.GetTaskReply) *protocol.GetTaskReply {
	kind := protocol.MapTask
	if t.Action == protocol.ActReduce {
		kind = protocol.ReduceTask
	}
	if err := checkAssignment(t); err != nil {
		w.reportFailure(ctx, w.attemptOf(kind, t), err)
		return nil
	}
	switch {
	case kind == protocol.MapTask:
		return w.runMap(ctx, t)
	case w.shape().mapOnly:
		return w.runMapOnly(ctx, t)
	}
	return w.runReduce(ctx, t)
}

// attemptOf is the attempt a task reply assigns to this worker.
func (w *Worker) attemptOf(kind protocol.TaskKind, t *protocol.GetTaskReply) protocol.Attempt {
	return protocol.Attempt{WorkerID: w.ID(), Kind: kind, Task: t.Task, N: t.Attempt}
}
