package mr

import (
	"time"
)

// coordRPC holds the coordinator's RPC methods, so net/rpc sees only them.
// Each handler locks, calls the scheduler, copies the answer out.
type coordRPC struct{ c *Coordinator }

// Register adds a worker; a worker running another app is refused.
func (r *coordRPC) Register(args *RegisterArgs, reply *RegisterReply) error {
	c := r.c
	var err error
	c.update(func(s *scheduler, now time.Time) {
		var w *worker
		if w, err = s.register(args.App, args.Addr, now); err == nil {
			reply.WorkerID, reply.NReduce, reply.SplitSize = w.id, s.cfg.nReduce, c.cfg.SplitSize
		}
	})
	if err != nil {
		c.log.Warn("worker refused", "addr", args.Addr, "app", args.App, "err", err)
	}
	return err
}

// Heartbeat records that a worker is alive.
func (r *coordRPC) Heartbeat(args *HeartbeatArgs, reply *HeartbeatReply) error {
	c := r.c
	c.mu.Lock()
	reply.Action = c.sched.heartbeat(args.WorkerID, time.Now())
	c.mu.Unlock()
	return nil
}

// GetTask long-polls for the worker's next attempt.
func (r *coordRPC) GetTask(args *GetTaskArgs, reply *GetTaskReply) error {
	r.c.longPoll(func(s *scheduler, now time.Time) bool {
		as := s.assign(args.WorkerID, now)
		r.c.fillTaskLocked(as, reply)
		return as.action != ActWait
	})
	return nil
}

func (c *Coordinator) fillTaskLocked(as assignment, reply *GetTaskReply) {
	s := c.sched
	reply.Action = as.action
	reply.NMap, reply.NReduce = len(s.maps), len(s.reduces)
	switch as.action {
	case ActMap:
		reply.Task, reply.Attempt = as.a.task.index, as.a.n
		reply.Split = c.splits[as.a.task.index]
	case ActReduce:
		reply.Task, reply.Attempt = as.a.task.index, as.a.n
		reply.Sources = s.sources(as.a.task.index)
	case ActExit:
		reply.Reason = s.failure
	}
}

// ReportMap commits a map attempt's output if it is the first valid report.
func (r *coordRPC) ReportMap(args *ReportMapArgs, reply *ReportReply) error {
	r.c.update(func(s *scheduler, now time.Time) { reply.Accepted = s.mapDone(args, now) })
	return nil
}

// ReportFailure records an attempt that failed in the app.
func (r *coordRPC) ReportFailure(args *ReportFailureArgs, reply *ReportReply) error {
	r.c.update(func(s *scheduler, now time.Time) { reply.Accepted = s.failed(args, now) })
	return nil
}

// Locate tells a reducer where a map task's output is, waiting up to the
// long-poll interval while that map task is being re-run.
func (r *coordRPC) Locate(args *LocateArgs, reply *LocateReply) error {
	r.c.longPoll(func(s *scheduler, now time.Time) bool {
		*reply = s.locate(args, now)
		args.Failed = 0 // a failure is reported once
		return reply.Ready || reply.Abort
	})
	return nil
}

// longPoll calls f on the scheduler under the lock until f says it is
// done, trying again after every change, for at most the long-poll
// interval or until the coordinator stops.
func (c *Coordinator) longPoll(f func(s *scheduler, now time.Time) (done bool)) {
	timeout := time.NewTimer(c.cfg.LongPoll)
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
		case <-c.stop:
			return
		}
	}
}
