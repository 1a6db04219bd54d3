package mr

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
	"mapreduce/internal/protocol"
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
	exec   executor      // runs the app's code
	faults *faults       // failures to inject, for tests ($MR_FAULTS)
	keys   *auth.Keys    // nil without a secret
	fresh  *auth.Replay  // nonces of signed run-file requests
	refuse *auth.Limiter // one log line per refused peer per minute
	wg     sync.WaitGroup

	lastOK    atomic.Int64 // unix nanos of the last successful RPC
	reregFlag atomic.Bool  // the coordinator forgot us: register again
	progress  progressMeter

	reached     atomic.Bool // the coordinator answered once: LostAfter applies, no longer WaitCoordinator
	saidWaiting atomic.Bool // "waiting for the coordinator" was logged

	// mu guards id, session, skew, addr, longPoll, served and closed.
	mu       sync.Mutex
	id       string
	session  []byte        // the session key agreed at registration
	skew     time.Duration // the coordinator's clock minus ours
	addr     string        // advertised host:port of the run-file server
	longPoll time.Duration // how long the coordinator may hold a long poll
	served   map[runKey]bool
	src      *sourceMap // where the map outputs are, latest version seen
	closed   bool
}

// runKey names the output of an accepted map attempt: map task m,
// attempt n.
type runKey struct{ m, n int }

// NewWorker prepares a worker: its directory and its run-file server's
// listener. Run does the rest.
func NewWorker(cfg WorkerConfig, app *App) (*Worker, error) {
	cfg = cfg.withDefaults()
	if err := checkAppName(app.Name); err != nil {
		return nil, fmt.Errorf("mr: plugin %s.so cannot name a job: %w", app.Name, err)
	}
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
	w.faults = faultsFromEnv()
	w.exec = inProcess{app}
	if len(cfg.Executor) > 0 {
		out := cfg.AppOutput
		if out == nil {
			out = os.Stderr
		}
		w.exec = &childExecutor{command: cfg.Executor, memLimit: cfg.AppMemoryLimit, tail: &lineKeeper{w: out}}
	}
	w.keys = auth.New(cfg.Secret)
	w.fresh = auth.NewReplay(protocol.FreshWindow, 1<<20)
	w.refuse = auth.NewLimiter(time.Minute)
	w.ln = newLimitListener(ln, cfg.MaxConns, func(a net.Addr) { w.refused(a.String(), "too many connections", nil) })
	w.coord = &coordClient{addr: cfg.Coordinator, dialTimeout: cfg.DialTimeout, rpcKey: w.keys.RPCKey(), onConnect: w.resume}
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
	w.exec.close()
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

// loop asks for attempts and runs them until told to exit.
func (w *Worker) loop(ctx context.Context) error {
	var next *protocol.GetTaskReply // handed out with the last report
	for ctx.Err() == nil {
		if w.reregFlag.Load() {
			w.log.Warn("coordinator forgot this worker; registering again", "worker", w.ID())
			if err := w.register(ctx); err != nil {
				return err
			}
			next = nil
		}
		var t protocol.GetTaskReply
		if next != nil {
			t, next = *next, nil
		} else if err := w.callRetry(ctx, "GetTask", &protocol.GetTaskArgs{WorkerID: w.ID()}, &t, w.longPollTimeout()); err != nil {
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
		case protocol.ActMap, protocol.ActReduce:
			next = w.run(ctx, &t)
		}
	}
	return context.Cause(ctx)
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
	if kind == protocol.MapTask {
		return w.runMap(ctx, t)
	}
	w.runReduce(ctx, t)
	return nil
}

// attemptOf is the attempt a task reply assigns to this worker.
func (w *Worker) attemptOf(kind protocol.TaskKind, t *protocol.GetTaskReply) protocol.Attempt {
	return protocol.Attempt{WorkerID: w.ID(), Kind: kind, Task: t.Task, N: t.Attempt}
}
