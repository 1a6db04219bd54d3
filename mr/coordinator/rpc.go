// rpc.go: the coordinator's RPC methods, one set per connection: each
// checks whom the connection acts for, then locks, calls the scheduler
// and copies the answer out.

package coordinator

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/scheduler"
)

// coordRPC holds the coordinator's RPC methods, so net/rpc sees only them.
// There is one per connection: it knows the connection's server nonce and
// the worker the connection is bound to. Each handler checks the binding,
// then locks, calls the scheduler, copies the answer out.
type coordRPC struct {
	c     *Coordinator
	peer  string // the remote address, for logs
	nonce []byte // the connection's server nonce

	// mu guards bound: calls on one connection may run concurrently.
	mu    sync.Mutex
	bound string // the worker this connection acts for; "" until Register or Resume
}

// as reports whether the connection acts for worker id. A call for
// another worker is refused with the "no" answer of its method (register
// again, not accepted, abort), changes nothing, and is logged.
func (r *coordRPC) as(id string) bool {
	r.mu.Lock()
	bound := r.bound
	r.mu.Unlock()
	if bound == "" || bound != id {
		r.c.front.refused(r.peer, "call as "+protocol.Truncate(id, 40), fmt.Errorf("connection is bound to %q", bound))
		return false
	}
	return true
}

func (r *coordRPC) bind(id string) {
	r.mu.Lock()
	r.bound = id
	r.mu.Unlock()
}

// Register adds a worker and binds the connection to it. A worker running
// another app, or sending an app name or address that could not be used
// safely, is refused.
func (r *coordRPC) Register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	c := r.c
	err := checkRegistration(args)
	if err == nil {
		err = c.checkWholeFiles(args)
	}
	ex := auth.NewExchange()
	var first bool // the first worker: the job's app and build are known now
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		if err != nil {
			return
		}
		first = c.ship.build == "" && s.Job().App == ""
		if err = c.ship.sameBuildLocked(s, args); err != nil {
			return
		}
		var id string
		reg := scheduler.Registration{App: args.App, Addr: args.Addr, Host: netx.Host(r.peer), Pool: args.Pool, Jobs: args.Jobs}
		if id, err = s.Register(reg, now); err != nil {
			return
		}
		var key []byte
		if key, err = ex.SessionKey(c.front.keys, args.Public, id, args.Public, ex.Public()); err != nil {
			s.Leave(id, "bad registration", now)
			return
		}
		c.sessions[id] = key
		c.registeredLocked(reply, id, ex.Public(), now)
		reply.Adopted = c.adoptLocked(s, id, args.Offer, now)
	})
	if err != nil {
		c.log.Warn("worker refused", "addr", protocol.Truncate(args.Addr, 80), "app", protocol.Truncate(args.App, 80), "err", err, "peer", r.peer)
		return err
	}
	if !c.journalRegistration(args, reply, first) {
		return errors.New("mr: the coordinator cannot write its journal")
	}
	r.bind(reply.WorkerID)
	return nil
}

// partitionSeed is the seed of the keys' hash for the job job: drawn
// with the job id, when the job started (and the same when a journaled
// job starts again), after its inputs were fixed.
func partitionSeed(job string) uint64 {
	sum := sha256.Sum256([]byte("mapreduce partition seed\x00" + job))
	return binary.LittleEndian.Uint64(sum[:8])
}

// checkWholeFiles refuses a worker whose app needs whole files when the
// job cut an input into splits: its Map would see parts of files.
func (c *Coordinator) checkWholeFiles(args *protocol.RegisterArgs) error {
	if !args.WholeFiles || c.cut == "" {
		return nil
	}
	return fmt.Errorf("mr: the app %s needs whole files (its plugin exports WholeFiles = true), but this job cut %s "+
		"into splits: start the coordinator with -whole-files, or with -app path/to/%s.so", args.App, c.cut, args.App)
}

// checkRegistration checks what a registering worker says of itself
// before anything of it is used.
func checkRegistration(args *protocol.RegisterArgs) error {
	if err := protocol.CheckAppName(args.App); err != nil {
		return err
	}
	if err := protocol.CheckAddr(args.Addr); err != nil {
		return err
	}
	if len(args.Build) > 64 {
		return errors.New("mr: bad build: more than 64 characters")
	}
	if o := args.Offer; o != nil && (len(o.Job) > 64 || len(o.Worker) > 16 || len(o.Maps) > 1<<20) {
		return errors.New("mr: bad offer")
	}
	if args.Partitioning != protocol.Partitioning {
		return fmt.Errorf("mr: the worker partitions keys as another build does (partitioning %d, this coordinator's %d): "+
			"run the coordinator and the workers of one build", args.Partitioning, protocol.Partitioning)
	}
	return nil
}

// registeredLocked fills the reply to a registration.
func (c *Coordinator) registeredLocked(reply *protocol.RegisterReply, id string, public []byte, now time.Time) {
	reply.WorkerID, reply.Public, reply.NReduce = id, public, c.cfg.NReduce
	reply.SplitSize, reply.LongPoll, reply.Now = c.cfg.SplitSize, int64(c.cfg.longPoll), now.UnixNano()
	reply.AttemptLimit, reply.Job = int64(c.cfg.AttemptLimit), c.job
	reply.Partitioning, reply.PartitionSeed = protocol.Partitioning, partitionSeed(c.job)
	if c.cfg.partitionSeed != nil {
		reply.PartitionSeed = *c.cfg.partitionSeed
	}
	reply.HeartbeatEvery = int64(heartbeatEvery(c.cfg.HeartbeatTimeout))
	if c.jr.journal != nil {
		reply.Journaled, reply.RestartWindow = true, int64(c.cfg.RestartWindow)
	}
	c.model.fillRegistration(reply)
}

// adoptLocked takes back the map outputs a worker offers from before a
// restart of this journaled job, those the journal names.
func (c *Coordinator) adoptLocked(s *scheduler.Scheduler, id string, o *protocol.Offer, now time.Time) []protocol.MapAttempt {
	if o == nil || c.jr.journal == nil || o.Job != c.job {
		return nil
	}
	c.jr.markBackLocked(o.Worker)
	return s.Offer(id, o.Worker, o.Maps, now)
}

// journalRegistration journals what a registration changed: the job's
// app, if it was its first, and the new owner of every output adopted.
func (c *Coordinator) journalRegistration(args *protocol.RegisterArgs, reply *protocol.RegisterReply, first bool) bool {
	if c.jr.journal == nil {
		return true
	}
	if first {
		if err := c.jr.journal.append(recApp, appRecord{Name: args.App, Build: args.Build}); err != nil {
			c.fail(err)
			return false
		}
	}
	for _, m := range reply.Adopted {
		rec := c.jr.journal.maps[m.Map] // the commit being taken over; replay wrote it
		rec.Worker = reply.WorkerID
		if !c.journalCommit(recMap, rec) {
			return false
		}
	}
	return true
}

// Resume binds the connection to an existing session, if the worker
// proves it holds the session key.
func (r *coordRPC) Resume(args *protocol.ResumeArgs, reply *protocol.ResumeReply) error {
	key := r.c.sessionKey(args.WorkerID)
	if key == nil {
		// Routine after a restart of the coordinator, or once the worker
		// was dropped: not a refusal worth a warning.
		r.c.log.Debug("resume of an unknown session: the worker registers again",
			"worker", protocol.Truncate(args.WorkerID, 40), "peer", r.peer)
		return nil // not OK: the worker registers again
	}
	if !auth.Equal(args.Proof, auth.Sum(key, []byte("resume"), r.nonce)) {
		r.c.front.refused(r.peer, "resume", fmt.Errorf("wrong proof for the session of %q", protocol.Truncate(args.WorkerID, 40)))
		return nil
	}
	r.bind(args.WorkerID)
	reply.OK = true
	return nil
}

// Heartbeat records that a worker is alive and how far its attempt got,
// and hands it the map outputs it may delete.
func (r *coordRPC) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	if !r.as(args.WorkerID) {
		reply.Action = protocol.ActReregister
		return nil
	}
	r.c.update(func(s *scheduler.Scheduler, now time.Time) { *reply = s.Heartbeat(*args, now) })
	return nil
}

// GetTask long-polls for the worker's next attempt.
func (r *coordRPC) GetTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	if !r.as(args.WorkerID) {
		reply.Action = protocol.ActReregister
		return nil
	}
	r.c.longPoll(func(s *scheduler.Scheduler, now time.Time) bool {
		s.Committing(args.WorkerID, args.Committing, now)
		*reply = s.Assign(args.WorkerID, scheduler.AskIdle, now)
		r.c.assignLocked(s, reply, args.WorkerID)
		return reply.Action != protocol.ActWait
	})
	return nil
}

// nextLocked assigns the worker its next attempt at once, if there is one
// to run (not a wait, not an exit): it rides on the report's reply. A
// repeated report gets the attempt the first one handed out again.
func (c *Coordinator) nextLocked(s *scheduler.Scheduler, worker string, repeated bool, now time.Time) *protocol.GetTaskReply {
	ask := scheduler.AskAfterReport
	if repeated {
		ask = scheduler.AskAfterRepeat
	}
	t := s.Assign(worker, ask, now)
	if t.Action != protocol.ActMap && t.Action != protocol.ActReduce {
		return nil
	}
	c.assignLocked(s, &t, worker)
	return &t
}

// ExtendMap answers a map attempt that has mapped its input, its output
// open: the next input to map into it, if its task has or takes one more
// (scheduler.Extend), else nil, and it finishes.
func (r *coordRPC) ExtendMap(args *protocol.ExtendMapArgs, reply *protocol.ExtendMapReply) error {
	a := args.Attempt
	if !r.as(a.WorkerID) || a.Kind != protocol.MapTask {
		return nil
	}
	r.c.update(func(s *scheduler.Scheduler, now time.Time) {
		part, ok := s.Extend(a, args.Mapped, now)
		if reply.OK = ok; !ok || part < 0 {
			return
		}
		reply.Part = &protocol.GetTaskReply{Action: protocol.ActMap, Task: part, Attempt: a.N,
			NMap: len(r.c.tasks), NReduce: r.c.cfg.NReduce}
		r.c.assignLocked(s, reply.Part, a.WorkerID)
	})
	return nil
}

// ReportMap commits a map attempt's output if it is the first valid
// report; the winner's report sent again is accepted again.
func (r *coordRPC) ReportMap(args *protocol.ReportMapArgs, reply *protocol.ReportReply) error {
	if !r.as(args.Attempt.WorkerID) || args.Attempt.Kind != protocol.MapTask {
		return nil
	}
	var repeated bool
	r.c.update(func(s *scheduler.Scheduler, now time.Time) {
		_, repeated = s.Attempt(args.Attempt)
		out := scheduler.Output{Runs: args.NReduce, Parts: args.Parts, Read: args.Read, Written: args.Written, Counters: &args.Counters}
		reply.Accepted = s.Done(args.Attempt, out, now)
		if reply.Accepted {
			reply.Next = r.c.nextLocked(s, args.Attempt.WorkerID, repeated, now)
		}
	})
	if !reply.Accepted {
		return nil
	}
	// On disk before it is acknowledged: a repeated report waits for the
	// first one's record.
	a, ok := args.Attempt, false
	if repeated {
		ok = r.c.journalSync()
	} else {
		ok = r.c.journalCommit(recMap, commitRecord{Task: a.Task, Attempt: a.N, Worker: a.WorkerID,
			Read: args.Read, Written: args.Written, Counters: &args.Counters})
	}
	if !ok {
		*reply = protocol.ReportReply{}
	}
	return nil
}

// ReportReduce commits a small reduce output sent in its report, as POST
// /reduce commits one; the winner's report sent again is accepted again.
// An accepted report's reply may carry the worker's next assignment.
func (r *coordRPC) ReportReduce(args *protocol.ReportReduceArgs, reply *protocol.ReportReply) error {
	a, c := args.Attempt, r.c
	if !r.as(a.WorkerID) || a.Kind != protocol.ReduceTask || !c.beginUpload() {
		return nil
	}
	defer c.up.inflight.Done()
	outcome := c.reportReduce(args)
	if outcome != uploadCommitted && outcome != uploadRepeated {
		return nil
	}
	reply.Accepted = true
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		reply.Next = c.nextLocked(s, a.WorkerID, outcome == uploadRepeated, now)
	})
	return nil
}

// ReportReduces applies a batch's reports, each as ReportReduce would,
// all of the caller's reduce attempts, at most protocol.MaxReduceBatch
// of them and protocol.MaxInlineReduce bytes of output together (else
// none is applied). If any was accepted, the reply may carry the
// worker's next assignment; a repeated one if every accepted report was
// repeated.
func (r *coordRPC) ReportReduces(args *protocol.ReportReducesArgs, reply *protocol.ReportReducesReply) error {
	c := r.c
	if !r.checkBatch(args.Reports) || !c.beginUpload() {
		return nil
	}
	defer c.up.inflight.Done()
	reply.Accepted = make([]bool, len(args.Reports))
	accepted, repeated := false, true
	for i := range args.Reports {
		outcome := c.reportReduce(&args.Reports[i])
		reply.Accepted[i] = outcome == uploadCommitted || outcome == uploadRepeated
		accepted = accepted || reply.Accepted[i]
		repeated = repeated && (!reply.Accepted[i] || outcome == uploadRepeated)
	}
	if accepted {
		id := args.Reports[0].Attempt.WorkerID
		c.update(func(s *scheduler.Scheduler, now time.Time) { reply.Next = c.nextLocked(s, id, repeated, now) })
	}
	return nil
}

// checkBatch reports whether a batch's reports are all the caller's
// reduce attempts, within the batch's bounds.
func (r *coordRPC) checkBatch(reports []protocol.ReportReduceArgs) bool {
	if len(reports) == 0 || len(reports) > protocol.MaxReduceBatch || !r.as(reports[0].Attempt.WorkerID) {
		return false
	}
	var size int
	for _, rep := range reports {
		size += len(rep.Run)
		if rep.Attempt.WorkerID != reports[0].Attempt.WorkerID || rep.Attempt.Kind != protocol.ReduceTask {
			return false
		}
	}
	if size > protocol.MaxInlineReduce {
		r.c.front.refused(r.peer, "report", fmt.Errorf("%d bytes of outputs in a batch, at most %d", size, protocol.MaxInlineReduce))
		return false
	}
	return true
}

// reportReduce commits the small reduce output a report carries, or
// says what else became of it.
func (c *Coordinator) reportReduce(args *protocol.ReportReduceArgs) uploadOutcome {
	a := args.Attempt
	switch size := int64(len(args.Run)); {
	case !c.running(a) && c.won(a):
		c.log.Info("upload repeated", "attempt", a.String(), "worker", a.WorkerID)
		return uploadRepeated
	case !c.running(a):
		c.log.Info("stale report ignored", "attempt", a.String(), "worker", a.WorkerID)
		return uploadStale
	case size > protocol.MaxInlineReduce || size > c.cfg.MaxUpload:
		outcome, _ := c.settleUpload(runfile.Segment{}, nil, &badUpload{fmt.Errorf("%d bytes in a report, at most %d",
			size, min(protocol.MaxInlineReduce, c.cfg.MaxUpload))}, size, args.CRC, args.Read, &args.Counters, a)
		return outcome
	default:
		var err error
		h := runfile.NewHash()
		h.Write(args.Run)
		if got := h.Sum32(); got != args.CRC {
			err = &badUpload{fmt.Errorf("%d bytes with crc %08x announced, got crc %08x", size, args.CRC, got)}
		}
		outcome, _ := c.settleUpload(runfile.Segment{Data: args.Run, Size: size}, nil, err, size, args.CRC, args.Read, &args.Counters, a)
		return outcome
	}
}

// Leave declares a worker that stops gone at once, uncharged: its
// running attempt and the outputs it held are redone now.
func (r *coordRPC) Leave(args *protocol.LeaveArgs, _ *protocol.LeaveReply) error {
	if !r.as(args.WorkerID) {
		return nil
	}
	r.c.update(func(s *scheduler.Scheduler, now time.Time) {
		s.Leave(args.WorkerID, "it left: stopped by a signal", now)
	})
	return nil
}

// ReportFailure records an attempt that could not complete, counted
// against the task or the worker by its class.
func (r *coordRPC) ReportFailure(args *protocol.ReportFailureArgs, reply *protocol.ReportReply) error {
	if !r.as(args.Attempt.WorkerID) {
		return nil
	}
	why := protocol.Truncate(args.Err, protocol.MaxErrText)
	r.c.update(func(s *scheduler.Scheduler, now time.Time) {
		reply.Accepted = s.FailedIn(args.Attempt, args.Part, args.Class, why, now)
	})
	return nil
}

// Sources tells a reducer where every map task's output is. The reply is
// shared: it is built once per version.
func (r *coordRPC) Sources(args *protocol.SourcesArgs, reply *protocol.SourcesReply) error {
	if !r.as(args.WorkerID) {
		return errNoSession
	}
	r.c.mu.Lock()
	*reply = *r.c.sched.Sources()
	r.c.mu.Unlock()
	return nil
}

// Locate tells a reducer where a map task's output is, waiting up to the
// long-poll interval while that map task is being re-run.
func (r *coordRPC) Locate(args *protocol.LocateArgs, reply *protocol.LocateReply) error {
	if !r.as(args.Attempt.WorkerID) {
		reply.Abort = true
		return nil
	}
	failed := args.Failed
	r.c.longPoll(func(s *scheduler.Scheduler, now time.Time) bool {
		*reply = s.Locate(args.Attempt, args.Map, failed, now)
		failed = 0 // a failure is reported once
		return reply.Ready || reply.Abort
	})
	return nil
}

// longPoll calls f on the scheduler under the lock until f says it is
// done, trying again after every change, for at most the long-poll
// interval or until the coordinator stops.
func (c *Coordinator) longPoll(f func(s *scheduler.Scheduler, now time.Time) (done bool)) {
	timeout := time.NewTimer(c.cfg.longPoll)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		done := f(c.sched, time.Now())
		events := c.changedLocked()
		ch := c.changed
		c.mu.Unlock()
		c.logEvents(events)
		if done {
			return
		}
		select {
		case <-ch:
		case <-timeout.C:
			return
		case <-c.life.stop:
			return
		}
	}
}
