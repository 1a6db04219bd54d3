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
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
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

	// mu guards id, addr, served and closed.
	mu     sync.Mutex
	id     string
	addr   string          // advertised host:port of the run-file server
	served map[string]bool // "mr-X-Y.aN" files of accepted map attempts
	closed bool
}

// NewWorker prepares a worker: its directory and its run-file server's
// listener. Run does the rest.
func NewWorker(cfg WorkerConfig, app *App) (*Worker, error) {
	cfg = cfg.withDefaults()
	w := &Worker{cfg: cfg, app: app, log: cfg.Logger, dir: cfg.Dir, served: make(map[string]bool)}
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
	w.coord = &coordClient{addr: cfg.Coordinator, timeout: cfg.RPCTimeout}
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
	w.goTracked(func() { w.files.Serve(w.ln) })
	w.lastOK.Store(time.Now().UnixNano())
	if err := w.register(ctx); err != nil {
		return err
	}
	w.goTracked(func() { w.heartbeat(ctx, cancel) })
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

func (w *Worker) goTracked(f func()) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
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
	for _, pattern := range []string{"mr-*-*.a*", ".mr-*-*.a*.tmp", "reduce-*.a*", "spill-*", ".spill-*.tmp"} {
		matches, _ := filepath.Glob(filepath.Join(w.dir, pattern))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
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

// lost reports whether the coordinator has been unreachable too long.
func (w *Worker) lost() error {
	if time.Since(time.Unix(0, w.lastOK.Load())) < w.cfg.LostAfter {
		return nil
	}
	return fmt.Errorf("%w: coordinator at %s stopped answering (nothing for %s)", ErrCoordinatorLost, w.cfg.Coordinator, w.cfg.LostAfter)
}

// retry calls method until it succeeds, the coordinator refuses (a
// ServerError), the coordinator is lost or ctx ends.
func (w *Worker) retry(ctx context.Context, method string, args, reply any, timeout time.Duration) error {
	return w.persist(ctx, func() (bool, error) {
		err := w.call(method, args, reply, timeout)
		var se rpc.ServerError
		return err == nil || errors.As(err, &se), err
	})
}

// persist calls try, backing off, until it says it is done, the
// coordinator is lost or ctx ends.
func (w *Worker) persist(ctx context.Context, try func() (done bool, err error)) error {
	backoff := 50 * time.Millisecond
	for {
		done, err := try()
		if done {
			return err
		}
		if lerr := w.lost(); lerr != nil {
			return fmt.Errorf("%w (last error: %v)", lerr, err)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// register introduces the worker, advertising its run-file server.
func (w *Worker) register(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	addr := w.advertised()
	var reply RegisterReply
	if err := w.retry(ctx, "Register", &RegisterArgs{App: w.app.Name, Addr: addr}, &reply, w.cfg.RPCTimeout); err != nil {
		return fmt.Errorf("mr: registering with %s: %w", w.cfg.Coordinator, err)
	}
	w.mu.Lock()
	w.id, w.addr = reply.WorkerID, addr
	w.served = make(map[string]bool) // a new identity owns no committed output
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
	return w.persist(ctx, func() (bool, error) {
		_, err := w.coord.get()
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
		var reply HeartbeatReply
		err := w.call("Heartbeat", &HeartbeatArgs{WorkerID: w.ID()}, &reply, w.cfg.RPCTimeout)
		switch {
		case err != nil:
			if lerr := w.lost(); lerr != nil {
				cancel(lerr)
				return
			}
		case reply.Action == ActExit:
			cancel(errExit)
			return
		case reply.Action == ActReregister:
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
		var t GetTaskReply
		if err := w.retry(ctx, "GetTask", &GetTaskArgs{WorkerID: w.ID()}, &t, w.cfg.RPCTimeout+5*time.Second); err != nil {
			return err
		}
		switch t.Action {
		case ActExit:
			if t.Reason != "" {
				return fmt.Errorf("mr: coordinator ended the job: %s", t.Reason)
			}
			return errExit
		case ActReregister:
			w.reregFlag.Store(true)
		case ActMap:
			w.runMap(ctx, &t)
		case ActReduce:
			w.runReduce(ctx, &t)
		}
	}
	return context.Cause(ctx)
}

// report sends a finished attempt's report, retrying through short
// outages. A report that is not accepted is stale: the work is dropped.
func (w *Worker) report(ctx context.Context, method string, args any, id string) bool {
	var reply ReportReply
	if err := w.retry(ctx, method, args, &reply, w.cfg.RPCTimeout); err != nil {
		w.log.Warn("report failed", "attempt", id, "err", err)
		return false
	}
	if !reply.Accepted {
		w.log.Info("attempt stale", "attempt", id, "worker", w.ID())
	}
	return reply.Accepted
}

// appError is a failure inside the app's Map or Reduce (a panic).
type appError struct{ msg string }

func (e *appError) Error() string { return "app: " + e.msg }

// reportFailure tells the coordinator an attempt could not complete.
func (w *Worker) reportFailure(ctx context.Context, kind TaskKind, t *GetTaskReply, err error) {
	id := attemptName(kind, t.Task, t.Attempt)
	w.log.Warn("attempt failed", "attempt", id, "worker", w.ID(), "err", err)
	if ctx.Err() != nil {
		return
	}
	w.report(ctx, "ReportFailure", &ReportFailureArgs{WorkerID: w.ID(), Kind: kind, Task: t.Task,
		Attempt: t.Attempt, Err: err.Error()}, id)
}

// runFileName is the name under which map task m's output for reduce
// task r is served; the attempt is kept apart on disk.
func runFileName(m, r int) string { return "mr-" + strconv.Itoa(m) + "-" + strconv.Itoa(r) }

func runFileKey(m, r, attempt int) string {
	return runFileName(m, r) + ".a" + strconv.Itoa(attempt)
}
