package mr

// The worker's dealings with the coordinator: calls with deadlines and
// retries, registration with its key agreement, resuming the session on
// a new connection, signed HTTP requests, heartbeats and reports.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
)

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
	ex := auth.NewExchange()
	var reply protocol.RegisterReply
	args := &protocol.RegisterArgs{App: w.app.Name, Addr: addr, Public: ex.Public()}
	if err := w.callRetry(ctx, "Register", args, &reply, w.cfg.RPCTimeout); err != nil {
		return fmt.Errorf("mr: registering with %s: %w", w.cfg.Coordinator, err)
	}
	key, err := ex.SessionKey(w.keys, reply.Public, reply.WorkerID, ex.Public(), reply.Public)
	if err != nil {
		return fmt.Errorf("mr: registering with %s: %w", w.cfg.Coordinator, err)
	}
	w.mu.Lock()
	w.id, w.session, w.addr, w.longPoll = reply.WorkerID, key, addr, time.Duration(reply.LongPoll)
	w.skew = time.Until(time.Unix(0, reply.Now))
	old := w.served
	w.served = make(map[runKey]bool) // a new identity owns no committed output
	w.mu.Unlock()
	for k := range old { // nor does anyone need the old one's
		os.Remove(runPath(w.dir, k.m, k.n))
	}
	w.reregFlag.Store(false)
	if ce, ok := w.exec.(*childExecutor); ok {
		ce.setLimit(time.Duration(reply.AttemptLimit))
		if w.cfg.LimitMemory && reply.SplitSize > 0 { // the app's process holds the split
			ce.setEnv([]string{"GOMEMLIMIT=" + strconv.FormatInt(reply.SplitSize+w.cfg.MapBuffer+16<<20, 10)})
		}
		if ce.memLimit == 0 {
			ce.memLimit = 2<<30 + 4*reply.SplitSize
		}
	} else if w.cfg.LimitMemory && reply.SplitSize > 0 {
		limit := reply.SplitSize + w.cfg.MapBuffer + 16<<20
		debug.SetMemoryLimit(limit)
		w.log.Debug("memory limit set", "bytes", limit)
	}
	w.log.Info("worker registered", "worker", reply.WorkerID, "coordinator", w.cfg.Coordinator, "addr", addr, "app", w.app.Name)
	return nil
}

// connect dials the coordinator, retrying until it answers or is lost,
// so that localIP knows the address that reaches it. A secret that does
// not match the coordinator's is final.
func (w *Worker) connect(ctx context.Context) error {
	return w.untilLost().retry(ctx, func() (bool, error) {
		_, err := w.coord.get()
		if err == nil {
			w.reached.Store(true)
		} else if !w.reached.Load() && w.saidWaiting.CompareAndSwap(false, true) {
			w.log.Info("waiting for the coordinator", "coordinator", w.cfg.Coordinator, "for", w.cfg.WaitCoordinator.String())
		}
		mismatch := errors.Is(err, protocol.ErrNeedSecret) || errors.Is(err, protocol.ErrNoSecret) || errors.Is(err, protocol.ErrBadSecret)
		return err == nil || mismatch, err
	})
}

// resume binds a new connection to our session, if we have one. If the
// coordinator no longer knows it, we register again.
func (w *Worker) resume(cl *rpc.Client, nonce []byte) error {
	w.mu.Lock()
	id, key := w.id, w.session
	w.mu.Unlock()
	if key == nil {
		return nil
	}
	var reply protocol.ResumeReply
	args := &protocol.ResumeArgs{WorkerID: id, Proof: auth.Sum(key, []byte("resume"), nonce)}
	call := cl.Go("Coordinator.Resume", args, &reply, make(chan *rpc.Call, 1))
	t := time.NewTimer(w.cfg.RPCTimeout)
	defer t.Stop()
	select {
	case <-call.Done:
	case <-t.C:
		return fmt.Errorf("mr: resuming the session with %s: no answer within %s", w.cfg.Coordinator, w.cfg.RPCTimeout)
	}
	if call.Error != nil {
		return call.Error
	}
	if !reply.OK {
		w.reregFlag.Store(true)
	}
	return nil
}

// advertised is host:port of the run-file server as peers should dial it:
// -advertise as given if it has a port, else its host (or the address
// that reached the coordinator) with our listening port.
func (w *Worker) advertised() string {
	if _, _, err := net.SplitHostPort(w.cfg.Advertise); err == nil {
		return w.cfg.Advertise
	}
	host := w.cfg.Advertise
	if host == "" {
		host = w.coord.localIP()
	}
	_, port, _ := net.SplitHostPort(w.ln.Addr().String())
	return net.JoinHostPort(host, port)
}

// coordNow is our reading of the coordinator's clock.
func (w *Worker) coordNow() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.skew)
}

// signAsWorker signs a request to the coordinator with our session key.
func (w *Worker) signAsWorker(req *http.Request) {
	w.mu.Lock()
	key := w.session
	w.mu.Unlock()
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), w.coordNow(),
		protocol.Covered(req.Header, req.ContentLength)...)
}

// refused logs a refused request or connection, once per peer per minute.
func (w *Worker) refused(peer, what string, err error) {
	host, _, splitErr := net.SplitHostPort(peer)
	if splitErr != nil {
		host = peer
	}
	if w.refuse.Allow(host, time.Now()) {
		w.log.Warn("refused", "peer", peer, "what", what, "err", err, "note", "further refusals from this host are not logged for a minute")
	}
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
		args := &protocol.HeartbeatArgs{WorkerID: w.ID()}
		args.Attempt, args.Progress = w.progress.get()
		err := w.call("Heartbeat", args, &reply, w.cfg.RPCTimeout)
		if err == nil && len(reply.Drop) > 0 {
			w.drop(reply.Drop)
		}
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

// drop stops serving, and deletes, the run files of map tasks nobody needs
// from us any more.
func (w *Worker) drop(maps []int) {
	gone := make(map[int]bool, len(maps))
	for _, m := range maps {
		gone[m] = true
	}
	w.mu.Lock()
	var files []runKey
	for k := range w.served {
		if gone[k.m] {
			delete(w.served, k)
			files = append(files, k)
		}
	}
	w.mu.Unlock()
	for _, k := range files {
		os.Remove(runPath(w.dir, k.m, k.n))
	}
	w.log.Debug("outputs dropped", "maps", maps, "files", len(files))
}

// report sends a finished attempt's report, retrying through short
// outages. A report that is not accepted is stale: the work is dropped.
func (w *Worker) report(ctx context.Context, method string, args any, a protocol.Attempt) bool {
	return w.reportNext(ctx, method, args, a).Accepted
}

// reportNext is report, returning the whole reply: a map report's may
// carry the worker's next assignment.
func (w *Worker) reportNext(ctx context.Context, method string, args any, a protocol.Attempt) *protocol.ReportReply {
	var reply protocol.ReportReply
	if w.faults.dropReply(method) {
		w.call(method, args, &reply, w.cfg.RPCTimeout)
		w.log.Warn("reply lost (injected: MR_FAULTS=drop-report-reply); retrying", "attempt", a.String())
		reply = protocol.ReportReply{}
	}
	if err := w.callRetry(ctx, method, args, &reply, w.cfg.RPCTimeout); err != nil {
		w.log.Warn("report failed", "attempt", a.String(), "err", err)
		return &protocol.ReportReply{}
	}
	if !reply.Accepted {
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
	}
	return &reply
}

// reportFailure tells the coordinator an attempt could not complete.
func (w *Worker) reportFailure(ctx context.Context, a protocol.Attempt, err error) {
	w.log.Warn("attempt failed", "attempt", a.String(), "worker", a.WorkerID, "err", err)
	if ctx.Err() != nil {
		return
	}
	class := protocol.FailWorker
	var ae *appError
	if errors.As(err, &ae) {
		class = protocol.FailApp
	}
	w.report(ctx, "ReportFailure", &protocol.ReportFailureArgs{Attempt: a, Class: class, Err: err.Error()}, a)
}
