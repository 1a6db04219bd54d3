package mr

import (
	"net"
	"net/http"
	"time"

	"mapreduce/mr/internal/protocol"
)

// coordRPC holds the coordinator's RPC methods, so net/rpc sees only them.
// Each handler locks, calls the scheduler, copies the answer out.
type coordRPC struct{ c *Coordinator }

// Register adds a worker; a worker running another app is refused.
func (r *coordRPC) Register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	c := r.c
	var err error
	c.update(func(s *scheduler, now time.Time) {
		var w *worker
		if w, err = s.register(args.App, args.Addr, now); err == nil {
			reply.WorkerID, reply.NReduce = w.id, c.cfg.NReduce
			reply.SplitSize, reply.LongPoll = c.cfg.SplitSize, int64(c.cfg.LongPoll)
		}
	})
	if err != nil {
		c.log.Warn("worker refused", "addr", args.Addr, "app", args.App, "err", err)
	}
	return err
}

// Heartbeat records that a worker is alive.
func (r *coordRPC) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	r.c.update(func(s *scheduler, now time.Time) { reply.Action = s.heartbeat(args.WorkerID, now) })
	return nil
}

// GetTask long-polls for the worker's next attempt.
func (r *coordRPC) GetTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	r.c.longPoll(func(s *scheduler, now time.Time) bool {
		*reply = s.assign(args.WorkerID, now)
		if reply.Action == protocol.ActMap {
			reply.Split = r.c.splits[reply.Task]
		}
		return reply.Action != protocol.ActWait
	})
	return nil
}

// ReportMap commits a map attempt's output if it is the first valid report.
func (r *coordRPC) ReportMap(args *protocol.ReportMapArgs, reply *protocol.ReportReply) error {
	r.c.update(func(s *scheduler, now time.Time) {
		if reply.Accepted = s.mapDone(args.Attempt, args.Runs, args.Read, now); reply.Accepted {
			s.recordCounters(args.Attempt, &args.Counters)
		}
	})
	return nil
}

// ReportFailure records an attempt that could not complete.
func (r *coordRPC) ReportFailure(args *protocol.ReportFailureArgs, reply *protocol.ReportReply) error {
	r.c.update(func(s *scheduler, now time.Time) { reply.Accepted = s.failed(args.Attempt, args.Err, now) })
	return nil
}

// Locate tells a reducer where a map task's output is, waiting up to the
// long-poll interval while that map task is being re-run.
func (r *coordRPC) Locate(args *protocol.LocateArgs, reply *protocol.LocateReply) error {
	failed := args.Failed
	r.c.longPoll(func(s *scheduler, now time.Time) bool {
		*reply = s.locate(args.Attempt, args.Map, failed, now)
		failed = 0 // a failure is reported once
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

// handleRPC upgrades a CONNECT request to a net/rpc connection whose
// reads time out when the worker goes quiet.
func (c *Coordinator) handleRPC(w http.ResponseWriter, r *http.Request) {
	conn, err := protocol.AcceptRPC(w, r)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.conns[conn] = struct{}{}
	c.mu.Unlock()
	c.rpc.ServeConn(idleConn{Conn: conn, idle: c.cfg.HeartbeatTimeout + c.cfg.LongPoll + 10*time.Second})
	c.mu.Lock()
	delete(c.conns, conn)
	c.broadcastLocked()
	c.mu.Unlock()
}

// idleConn closes a connection on which nothing arrives for idle.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(p)
}
