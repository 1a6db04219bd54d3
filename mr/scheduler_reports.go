package mr

// The scheduler's reports: every one names its protocol.Attempt and is
// applied only while that attempt runs for a live worker (running), which
// is what fences late, superseded and dead workers' reports.

import (
	"fmt"
	"time"

	"mapreduce/mr/internal/protocol"
)

// running returns the attempt ref names if it is still running for a live
// worker with that id, or nil.
func (s *scheduler) running(ref protocol.Attempt) *attempt {
	w := s.live(ref.WorkerID)
	tasks := s.maps
	if ref.Kind == protocol.ReduceTask {
		tasks = s.reduces
	}
	if w == nil || ref.Task < 0 || ref.Task >= len(tasks) || ref.N < 1 || ref.N > len(tasks[ref.Task].history) {
		return nil
	}
	a := tasks[ref.Task].history[ref.N-1]
	if a.worker != w || a.outcome != outcomeRunning || a.task.kind != ref.Kind {
		return nil
	}
	return a
}

// accept returns the running attempt ref names, noting the worker alive,
// or logs a stale report and returns nil.
func (s *scheduler) accept(ref protocol.Attempt, now time.Time) *attempt {
	a := s.running(ref)
	if a == nil {
		s.events = append(s.events, event{msg: "stale report ignored", worker: ref.WorkerID, attempt: ref.String()})
		if w := s.live(ref.WorkerID); w != nil && w.current != nil && w.current.outcome != outcomeRunning {
			w.current = nil
		}
		return nil
	}
	a.worker.lastSeen = now
	return a
}

// mapDone commits a map attempt's output if it is the first valid report.
func (s *scheduler) mapDone(ref protocol.Attempt, nReduce int, written, read int64, now time.Time) bool {
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	if nReduce != s.cfg.nReduce || written < 0 || read < 0 {
		s.note("report refused", a, a.worker, "runs", nReduce, "want", s.cfg.nReduce)
		return false
	}
	a.committed, a.read, a.written = true, read, written
	s.srcVersion++
	s.win(a, now)
	a.worker.owned[a.task.index] = a.task
	s.mapsDone++
	if s.mapsDone == len(s.maps) && s.phase == phaseMap {
		s.setPhase(phaseReduce)
		for _, t := range s.reduces {
			if t.state == taskIdle {
				s.enqueue(t, now)
			}
		}
	}
	return true
}

// reduceDone commits a reduce attempt whose output the coordinator holds.
func (s *scheduler) reduceDone(ref protocol.Attempt, read, written int64, now time.Time) bool {
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	a.read, a.written = read, written
	s.win(a, now)
	s.reducesDone++
	if s.reducesDone == len(s.reduces) {
		s.setPhase(phaseMerge)
	}
	return true
}

// win marks a the task's committed attempt; any other running attempt of
// the task has lost.
func (s *scheduler) win(a *attempt, now time.Time) {
	t := a.task
	t.state, t.winner = taskDone, a
	s.endAttempt(a, outcomeWon, now)
	for len(t.running) > 0 {
		s.note("attempt superseded", t.running[0], t.running[0].worker, "winner", a.ID())
		s.endAttempt(t.running[0], outcomeLost, now)
	}
	s.note("task done", a, a.worker)
}

// failed records an attempt that could not complete, whatever the cause.
// The job fails when one task has failed maxFailures times.
func (s *scheduler) failed(ref protocol.Attempt, why string, now time.Time) bool {
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	a.task.failures++
	s.note("attempt failed", a, a.worker, "err", why)
	s.endAttempt(a, outcomeFailed, now)
	if a.task.failures >= s.cfg.maxFailures && !s.over() {
		s.failure = fmt.Sprintf("%s failed %d times, last: %s", a.ID(), a.task.failures, why)
		s.setPhase(phaseFailed)
	}
	return true
}

// locate answers reduce attempt ref, which needs map task m's output. When
// failed names the committed attempt, the reducer could not fetch it: an
// owner that has also stopped heartbeating is declared dead, else just
// task m is re-run. Reports naming an older attempt are answered, not
// believed.
func (s *scheduler) locate(ref protocol.Attempt, m, failed int, now time.Time) protocol.LocateReply {
	r := s.running(ref)
	if r == nil || ref.Kind != protocol.ReduceTask || m < 0 || m >= len(s.maps) {
		return protocol.LocateReply{Abort: true}
	}
	r.worker.lastSeen = now
	t := s.maps[m]
	if t.state == taskDone && failed != 0 && t.winner.n == failed {
		s.lostOutput(t, r, now)
	}
	if t.state == taskIdle && now.Sub(t.idleAt) > s.cfg.heartbeatTimeout/2 {
		// Nobody else is free to re-run it: give up this attempt so that
		// its worker can. The reduce task runs again once the maps are done.
		s.note("attempt gives way", r, r.worker, "waiting_for", protocol.TaskName(protocol.MapTask, t.index))
		s.endAttempt(r, outcomeAbandoned, now)
		return protocol.LocateReply{Abort: true}
	}
	if t.state != taskDone {
		return protocol.LocateReply{}
	}
	r.progress = now
	return protocol.LocateReply{Ready: true, Source: s.location(t)}
}

// lostOutput handles a reducer's word that map task t's output is gone.
func (s *scheduler) lostOutput(t *task, by *attempt, now time.Time) {
	owner := t.winner.worker
	s.note("fetch failure reported", t.winner, owner, "by", by.ID())
	if now.Sub(owner.lastSeen) > s.cfg.heartbeatTimeout/4 {
		s.kill(owner, now, "unreachable and silent")
		return
	}
	s.rerunMap(t, now)
}

// rerunMap sends a done map task back to idle: its output is lost.
func (s *scheduler) rerunMap(t *task, now time.Time) {
	w := t.winner.worker
	delete(w.owned, t.index)
	t.winner.outcome, t.winner.end = outcomeLost, now
	s.note("map output lost", t.winner, w)
	t.winner, t.state = nil, taskIdle
	s.mapsDone--
	s.srcVersion++
	s.enqueue(t, now)
	if s.phase == phaseReduce {
		s.setPhase(phaseMap)
	}
}

// location tells a reducer where map task t's committed output is.
func (s *scheduler) location(t *task) protocol.Location {
	return protocol.Location{Map: t.index, Attempt: t.winner.n, Addr: t.winner.worker.addr}
}

// sources lists where every map task's committed output is, each owner
// once: built once per version and shared by every reducer that asks.
func (s *scheduler) sources() *protocol.SourcesReply {
	if c := s.srcCache; c != nil && c.Version == s.srcVersion {
		return c
	}
	reply := &protocol.SourcesReply{Version: s.srcVersion}
	maps := make([]protocol.MapSource, 0, len(s.maps))
	owners := make(map[*worker]int)
	for i, t := range s.maps {
		if t.state != taskDone { // being re-run: the reducer will Locate it
			maps = append(maps, protocol.MapSource{Map: i})
			continue
		}
		o, ok := owners[t.winner.worker]
		if !ok {
			o = len(reply.Owners)
			owners[t.winner.worker] = o
			reply.Owners = append(reply.Owners, t.winner.worker.addr)
		}
		maps = append(maps, protocol.MapSource{Map: i, Attempt: t.winner.n, Owner: o})
	}
	reply.Maps = protocol.PackSources(maps)
	s.srcCache = reply
	return reply
}
