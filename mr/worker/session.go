// The worker's dealings with the coordinator, through its one client:
// calls retried until the coordinator is lost, registration, heartbeats
// (with progress and drop lists) and reports.

package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// answered tells the coordinator's liveness of a call's outcome: nil or
// an rpc.ServerError means the coordinator answered.
func (w *Worker) answered(err error) bool {
	var se rpc.ServerError
	if err == nil || errors.As(err, &se) {
		if w.live.answered() {
			w.log.Info("the coordinator answers again", "coordinator", w.cfg.Coordinator)
		}
		return true
	}
	if w.live.failed() {
		w.log.Warn("the coordinator stopped answering; its job is journaled: waiting for it to come back, "+
			"serving the outputs held", "coordinator", w.cfg.Coordinator, "for", w.live.limit().String(), "err", err)
	}
	return false
}

// untilLost retries calls to the coordinator until they succeed or the
// coordinator is lost.
func (w *Worker) untilLost() backoff {
	return backoff{first: 50 * time.Millisecond, max: 500 * time.Millisecond, giveUp: w.live.lost}
}

// retry makes call until the coordinator answers (nil or a ServerError),
// the coordinator is lost or ctx ends.
func (w *Worker) retry(ctx context.Context, call func() error) error {
	return w.untilLost().retry(ctx, func() (bool, error) {
		err := call()
		return w.answered(err), err
	})
}

// register introduces the worker, advertising its run-file server.
func (w *Worker) register(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	addr := w.advertised()
	offer := w.offer()
	var reply *protocol.RegisterReply
	err := w.retry(ctx, func() (err error) {
		if err := w.sameJob(offer); err != nil {
			return err
		}
		reply, err = w.coord.Register(w.cfg.App, addr, offer)
		return err
	})
	if err != nil {
		return fmt.Errorf("mr: registering with %s: %w", w.cfg.Coordinator, err)
	}
	model, err := checkModel(reply)
	if err == nil {
		err = w.checkStream(reply.Stream, reply.Job)
	}
	if err != nil {
		return err
	}
	w.sess.mu.Lock()
	w.sess.id, w.sess.addr, w.sess.job, w.sess.model = reply.WorkerID, addr, reply.Job, model
	w.sess.every = time.Duration(reply.HeartbeatEvery)
	if w.sess.every <= 0 {
		w.sess.every = defaultHeartbeat
	}
	w.sess.mu.Unlock()
	w.keepAdopted(reply.Adopted)
	w.live.registered(reply.Journaled, time.Duration(reply.RestartWindow))
	if len(reply.Adopted) > 0 {
		w.log.Info("map outputs taken back by the restarted coordinator", "worker", reply.WorkerID, "outputs", len(reply.Adopted))
	}
	w.limitApp(reply)
	w.log.Info("worker registered", "worker", reply.WorkerID, "coordinator", w.cfg.Coordinator, "addr", addr, "app", w.cfg.App)
	return nil
}

// errOtherJob is a coordinator at our coordinator's address running
// another job: not ours, which may still come back.
var errOtherJob = errors.New("mr: the coordinator runs another job")

// sameJob keeps a worker of a journaled job from registering with a
// coordinator (of the same secret, at the same address) that runs
// another job: registering would give up the outputs it holds for its
// own. It waits instead, as for a coordinator that has not come back,
// until its restart window ends.
func (w *Worker) sameJob(offer *protocol.Offer) error {
	if offer == nil || !w.live.journaled() {
		return nil
	}
	info, err := w.coord.Job()
	if err != nil || info.Job == offer.Job {
		return err
	}
	if w.live.otherJob() {
		w.log.Warn("the coordinator's address serves another job; waiting for this worker's job to come back, keeping its outputs",
			"coordinator", w.cfg.Coordinator, "job", offer.Job, "other_job", protocol.Truncate(info.Job, 64))
	}
	return errOtherJob
}

// announceHeld says which inputs this worker holds, once it registered
// and heartbeats: the coordinator may take a moment to answer.
func (w *Worker) announceHeld(ctx context.Context) {
	if err := w.announce(ctx, ""); err != nil {
		w.log.Warn("inputs held not announced: every input is read from elsewhere", "err", err)
	}
}

// offer is what this worker offers back when it registers again: the map
// outputs it serves, under the job and the id it had (a restarted
// coordinator that finished without needing them still waits for the
// workers it knew, to tell them to exit). A worker that never registered
// offers nothing.
func (w *Worker) offer() *protocol.Offer {
	w.sess.mu.Lock()
	id, job := w.sess.id, w.sess.job
	w.sess.mu.Unlock()
	if id == "" {
		return nil
	}
	return &protocol.Offer{Job: job, Worker: id, Maps: w.outs.list()}
}

// keepAdopted keeps serving the outputs the coordinator took back, and
// deletes the others: a new registration owns no other committed output,
// and nobody needs the old one's.
func (w *Worker) keepAdopted(adopted []protocol.MapAttempt) {
	removeRuns(w.dir, w.outs.keep(adopted))
}

// limitApp gives the app's process the job's limits: the attempt limit,
// the memory it may use, and a Go heap limit fit for the split size.
func (w *Worker) limitApp(reply *protocol.RegisterReply) {
	if w.cfg.LimitMemory && reply.SplitSize > 0 { // the app's process holds the split: each task says so
		w.heapLimit.Store(reply.SplitSize + w.cfg.MapBuffer + 16<<20)
	}
	ch, ok := w.cfg.Executor.(*executor.Child)
	if !ok {
		return
	}
	mem := w.cfg.AppMemoryLimit
	if mem == 0 {
		mem = 2<<30 + 4*reply.SplitSize
	}
	ch.SetLimits(time.Duration(reply.AttemptLimit), mem)
}

// connect dials the coordinator, retrying until it answers or is lost,
// so that the address that reaches it is known. A secret that does not
// match the coordinator's is final.
func (w *Worker) connect(ctx context.Context) error {
	return w.untilLost().retry(ctx, func() (bool, error) {
		err := w.coord.Dial()
		mismatch := errors.Is(err, protocol.ErrNeedSecret) || errors.Is(err, protocol.ErrNoSecret) || errors.Is(err, protocol.ErrBadSecret)
		var dns *net.DNSError
		if !w.live.reached() && errors.As(err, &dns) && dns.IsNotFound {
			// A name no resolver knows (a typo) will not appear by waiting.
			return true, fmt.Errorf("mr: coordinator %s: no such host %s (check -coordinator or COORDINATOR_HOST)", w.cfg.Coordinator, dns.Name)
		}
		switch {
		case err == nil:
			w.live.dialed()
		case mismatch: // final: said by whoever gets the error
		case w.live.dialFailed():
			w.log.Info("waiting for the coordinator", "coordinator", w.cfg.Coordinator, "for", w.cfg.WaitCoordinator.String())
		}
		return err == nil || mismatch, err
	})
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
		host = w.coord.LocalIP()
	}
	_, port, _ := net.SplitHostPort(w.srv.ln.Addr().String())
	return net.JoinHostPort(host, port)
}

// refused logs a refused request or connection, once per peer per minute.
func (w *Worker) refused(peer, what string, err error) {
	host, _, splitErr := net.SplitHostPort(peer)
	if splitErr != nil {
		host = peer
	}
	if w.sec.refuse.Allow(host, time.Now()) {
		w.log.Warn("refused", "peer", peer, "what", what, "err", err, "note", "further refusals from this host are not logged for a minute")
	}
}

// defaultHeartbeat is how often a worker heartbeats when its coordinator
// does not say (RegisterReply.HeartbeatEvery).
const defaultHeartbeat = 500 * time.Millisecond

// heartbeatEvery is how often to heartbeat, as the coordinator said at
// the last registration.
func (w *Worker) heartbeatEvery() time.Duration {
	w.sess.mu.Lock()
	defer w.sess.mu.Unlock()
	return w.sess.every
}

// heartbeat tells the coordinator, as often as it asked, that we are
// alive, and cancels the run when the coordinator is lost or says the job
// is over.
func (w *Worker) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) {
	every := w.heartbeatEvery()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if e := w.heartbeatEvery(); e != every { // registered again, with a restarted coordinator
			every = e
			t.Reset(every)
		}
		args := &protocol.HeartbeatArgs{WorkerID: w.ID(), Verified: w.outs.takeVerified()}
		args.Attempt, args.Progress = w.progress.get()
		reply, err := w.coord.Heartbeat(args)
		w.answered(err)
		if err == nil && len(reply.Drop) > 0 {
			w.drop(reply.Drop)
		}
		if err == nil && len(reply.Verify) > 0 {
			go w.verifyOutputs(reply.Verify) // not tracked: it only reads files, and ends
		}
		switch {
		case err != nil:
			if lerr := w.live.lost(); lerr != nil {
				cancel(lerr)
				return
			}
		case reply.Action == protocol.ActExit:
			cancel(errExit)
			return
		case reply.Action == protocol.ActReregister:
			w.forgotten(args.WorkerID)
		}
	}
}

// drop stops serving, and deletes, the run files of map tasks nobody needs
// from us any more.
func (w *Worker) drop(maps []int) {
	gone := w.outs.dropMaps(maps)
	removeRuns(w.dir, gone)
	w.log.Debug("outputs dropped", "maps", maps, "files", len(gone))
}

// reportMap sends a finished map attempt's report, retrying through short
// outages. A report that is not accepted is stale: the work is dropped.
// The reply may carry the worker's next assignment.
func (w *Worker) reportMap(ctx context.Context, args *protocol.ReportMapArgs) *protocol.ReportReply {
	if w.faults.dropReply() {
		w.coord.ReportMap(args)
		w.log.Warn("reply lost (injected fault drop-report-reply); retrying", "attempt", args.Attempt.String())
	}
	var reply *protocol.ReportReply
	err := w.retry(ctx, func() (err error) {
		reply, err = w.coord.ReportMap(args)
		return err
	})
	return w.reported(args.Attempt, reply, err)
}

// reported logs a report's outcome and returns its reply (a refusal if
// the report could not be sent).
func (w *Worker) reported(a protocol.Attempt, reply *protocol.ReportReply, err error) *protocol.ReportReply {
	if err != nil {
		w.log.Warn("report failed", "attempt", a.String(), "err", err)
		return &protocol.ReportReply{}
	}
	if !reply.Accepted {
		w.log.Info("attempt stale", "attempt", a.String(), "worker", a.WorkerID)
	}
	return reply
}

// reportFailure tells the coordinator an attempt could not complete.
func (w *Worker) reportFailure(ctx context.Context, a protocol.Attempt, err error) {
	w.log.Warn("attempt failed", "attempt", a.String(), "worker", a.WorkerID, "err", err)
	if ctx.Err() != nil {
		return
	}
	class := protocol.FailWorker
	var ae *executor.AppError
	if errors.As(err, &ae) {
		class = protocol.FailApp
	}
	args := &protocol.ReportFailureArgs{Attempt: a, Class: class, Err: err.Error(), Part: failedPart(err)}
	var reply *protocol.ReportReply
	rerr := w.retry(ctx, func() (err error) {
		reply, err = w.coord.ReportFailure(args)
		return err
	})
	w.reported(a, reply, rerr)
}
