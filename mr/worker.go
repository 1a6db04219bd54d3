package mr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/mr/internal/protocol"
)

// Worker runs tasks for one coordinator: it registers, heartbeats on its
// own goroutine, asks for attempts and runs them, and serves the run files
// of its committed map attempts to reducers.
type Worker struct {
	cfg    WorkerConfig
	app    *App
	log    *slog.Logger
	dir    string
	ownDir bool // dir is a temp dir of ours, removed on Close
	ln     net.Listener
	files  *http.Server
	coord  *coordClient
	httpc  *http.Client
	wg     sync.WaitGroup

	lastOK    atomic.Int64 // unix nanos of the last successful RPC
	reregFlag atomic.Bool  // the coordinator forgot us: register again

	reached     atomic.Bool // the coordinator answered once: LostAfter applies, no longer WaitCoordinator
	saidWaiting atomic.Bool // "waiting for the coordinator" was logged

	// mu guards id, addr, longPoll, served and closed.
	mu       sync.Mutex
	id       string
	addr     string        // advertised host:port of the run-file server
	longPoll time.Duration // how long the coordinator may hold a long poll
	served   map[runKey]bool
	closed   bool
}

// runKey names a run file of an accepted map attempt: map task m, reduce
// task r, attempt n.
type runKey struct{ m, r, n int }

// NewWorker prepares a worker: its directory and its run-file server's
// listener. Run does the rest.
func NewWorker(cfg WorkerConfig, app *App) (*Worker, error) {
	cfg = cfg.withDefaults()
	w := &Worker{cfg: cfg, app: app, log: cfg.Logger, dir: cfg.Dir, served: make(map[runKey]bool)}
	if w.dir == "" {
		d, err := os.MkdirTemp("", "mrworker-")
		if err != nil {
			return nil, fmt.Errorf("mr: worker directory: %w", err)
		}
		w.dir, w.ownDir = d, true
	} else if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, fmt.Errorf("mr: worker directory: %w", err)
	}
	ln, err := listen(cfg.Listen)
	if err != nil {
		w.removeDir()
		return nil, err
	}
	w.ln = ln
	w.coord = &coordClient{addr: cfg.Coordinator, dialTimeout: cfg.DialTimeout}
	w.httpc = newHTTPClient(cfg)
	w.files = &http.Server{Handler: w.fileMux(), ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	return w, nil
}

var (
	// ErrCoordinatorLost means the coordinator stopped answering.
	ErrCoordinatorLost = errors.New("mr: coordinator lost")
	// errExit ends a worker's run: the job is over.
	errExit = errors.New("mr: job over")
)

// Run works until the coordinator says the job is over (nil), the
// coordinator is lost, or ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer w.coord.close() // hanging up tells the coordinator we heard the end
	w.wg.Go(func() { w.files.Serve(w.ln) })
	w.lastOK.Store(time.Now().UnixNano())
	if err := w.register(ctx); err != nil {
		return err
	}
	w.wg.Go(func() { w.heartbeat(ctx, cancel) })
	loop := make(chan error, 1)
	go func() { loop <- w.loop(ctx) }() // not tracked: an app call may never return
	var err error
	select {
	case err = <-loop:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	cancel(err)
	if errors.Is(err, errExit) {
		w.log.Info("job over, worker exiting", "worker", w.ID())
		return nil
	}
	return err
}

// Close stops the file server and removes the worker's temp directory.
// It may be called more than once.
func (w *Worker) Close() error {
	w.mu.Lock()
	closed := w.closed
	w.closed = true
	w.mu.Unlock()
	if closed {
		return nil
	}
	w.coord.close()
	w.files.Close() // the job is over or we are gone: nobody needs our files
	w.ln.Close()
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
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.id
}

// call makes one RPC and notes success, for the lost-coordinator check.
func (w *Worker) call(method string, args, reply any, timeout time.Duration) error {
	err := w.coord.call(method, args, reply, timeout)
	var se rpc.ServerError
	if err == nil || errors.As(err, &se) {
		w.lastOK.Store(time.Now().UnixNano())
	}
	return err
}

// lost reports whether the coordinator has been unreachable too long:
// WaitCoordinator before it first answered, LostAfter since.
func (w *Worker) lost() error {
	reached := w.reached.Load()
	limit := w.cfg.LostAfter
	if !reached {
		limit = w.cfg.WaitCoordinator
	}
	if time.Since(time.Unix(0, w.lastOK.Load())) < limit {
		return nil
	}
	if !reached {
		return fmt.Errorf("%w: no coordinator answered at %s within %s (-wait-coordinator)", ErrCoordinatorLost, w.cfg.Coordinator, limit)
	}
	return fmt.Errorf("%w: coordinator at %s stopped answering (nothing for %s)", ErrCoordinatorLost, w.cfg.Coordinator, w.cfg.LostAfter)
}

// untilLost retries calls to the coordinator until they succeed or the
// coordinator is lost.
func (w *Worker) untilLost() backoff {
	return backoff{first: 50 * time.Millisecond, max: 500 * time.Millisecond, giveUp: w.lost}
}

// callRetry calls method until it succeeds, the coordinator refuses (a
// ServerError), the coordinator is lost or ctx ends.
func (w *Worker) callRetry(ctx context.Context, method string, args, reply any, timeout time.Duration) error {
	return w.untilLost().retry(ctx, func() (bool, error) {
		err := w.call(method, args, reply, timeout)
		var se rpc.ServerError
		return err == nil || errors.As(err, &se), err
	})
}

// longPollTimeout is the deadline of a long-polling call: the
// coordinator may hold it for its long-poll interval, then answers.
func (w *Worker) longPollTimeout() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.longPoll + w.cfg.RPCTimeout
}

// register introduces the worker, advertising its run-file server.
func (w *Worker) register(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	addr := w.advertised()
	var reply protocol.RegisterReply
	if err := w.callRetry(ctx, "Register", &protocol.RegisterArgs{App: w.app.Name, Addr: addr}, &reply, w.cfg.RPCTimeout); err != nil {
		return fmt.Errorf("mr: registering with %s: %w", w.cfg.Coordinator, err)
	}
	w.mu.Lock()
	w.id, w.addr, w.longPoll = reply.WorkerID, addr, time.Duration(reply.LongPoll)
	w.served = make(map[runKey]bool) // a new identity owns no committed output
	w.mu.Unlock()
	w.reregFlag.Store(false)
	if w.cfg.LimitMemory && reply.SplitSize > 0 {
		limit := reply.SplitSize + w.cfg.MapBuffer + 16<<20
		debug.SetMemoryLimit(limit)
		w.log.Debug("memory limit set", "bytes", limit)
	}
	w.log.Info("worker registered", "worker", reply.WorkerID, "coordinator", w.cfg.Coordinator, "addr", addr, "app", w.app.Name)
	return nil
}

// connect dials the coordinator, retrying until it answers or is lost,
// so that localIP knows the address that reaches it.
func (w *Worker) connect(ctx context.Context) error {
	return w.untilLost().retry(ctx, func() (bool, error) {
		_, err := w.coord.get()
		if err == nil {
			w.reached.Store(true)
		} else if !w.reached.Load() && w.saidWaiting.CompareAndSwap(false, true) {
			w.log.Info("waiting for the coordinator", "coordinator", w.cfg.Coordinator, "for", w.cfg.WaitCoordinator.String())
		}
		return err == nil, err
	})
}

// advertised is host:port of the run-file server as peers should dial it.
func (w *Worker) advertised() string {
	host := w.cfg.Advertise
	if host == "" {
		host = w.coord.localIP()
	}
	_, port, _ := net.SplitHostPort(w.ln.Addr().String())
	return net.JoinHostPort(host, port)
}

// heartbeat tells the coordinator every interval that we are alive, and
// cancels the run when the coordinator is lost or says the job is over.
func (w *Worker) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var reply protocol.HeartbeatReply
		err := w.call("Heartbeat", &protocol.HeartbeatArgs{WorkerID: w.ID()}, &reply, w.cfg.RPCTimeout)
		switch {
		case err != nil:
			if lerr := w.lost(); lerr != nil {
				cancel(lerr)
				return
			}
		case reply.Action == protocol.ActExit:
			cancel(errExit)
			return
		case reply.Action == protocol.ActReregister:
			w.reregFlag.Store(true)
		}
	}
}

// loop asks for attempts and runs them until told to exit.
func (w *Worker) loop(ctx context.Context) error {
	for ctx.Err() == nil {
		if w.reregFlag.Load() {
			w.log.Warn("coordinator forgot this worker; registering again", "worker", w.ID())
			if err := w.register(ctx); err != nil {
				return err
			}
		}
		var t protocol.GetTaskReply
		if err := w.callRetry(ctx, "GetTask", &protocol.GetTaskArgs{WorkerID: w.ID()}, &t, w.longPollTimeout()); err != nil {
			return err
		}
		switch t.Action {
		case protocol.ActExit:
			if t.Reason != "" {
				return fmt.Errorf("mr: coordinator ended the job: %s", t.Reason)
			}
			return errExit
		case protocol.ActReregister:
			w.reregFlag.Store(true)
		case protocol.ActMap:
			w.runMap(ctx, &t)
		case protocol.ActReduce:
			w.runReduce(ctx, &t)
		}
	}
	return context.Cause(ctx)
}

// report sends a finished attempt's report, retrying through short
// outages. A report that is not accepted is stale: the work is dropped.
func (w *Worker) report(ctx context.Context, method string, args any, a protocol.Attempt) bool {
	var reply protocol.ReportReply
	if err := w.callRetry(ctx, method, args, &reply, w.cfg.RPCTimeout); err != nil {
		w.log.Warn("report failed", "attempt", a.String(), "err", err)
		return false
	}
	if !reply.Accepted {
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
	}
	return reply.Accepted
}

// reportFailure tells the coordinator an attempt could not complete.
func (w *Worker) reportFailure(ctx context.Context, a protocol.Attempt, err error) {
	w.log.Warn("attempt failed", "attempt", a.String(), "worker", a.WorkerID, "err", err)
	if ctx.Err() != nil {
		return
	}
	w.report(ctx, "ReportFailure", &protocol.ReportFailureArgs{Attempt: a, Err: err.Error()}, a)
}

// attemptOf is the attempt a task reply assigns to this worker.
func (w *Worker) attemptOf(kind protocol.TaskKind, t *protocol.GetTaskReply) protocol.Attempt {
	return protocol.Attempt{WorkerID: w.ID(), Kind: kind, Task: t.Task, N: t.Attempt}
}
