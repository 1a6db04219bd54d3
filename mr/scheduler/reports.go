// The scheduler's reports of completed attempts (Done), and how a report
// is fenced and what an attempt's standing is (Attempt). Every report names its protocol.Attempt and is
// applied only while that attempt runs for a live worker (running), which
// is what fences late, superseded and dead workers' reports. The one
// exception is the winner's own report sent again (its first reply was
// lost): it is answered as the first was, and changes nothing.

package scheduler

import (
	"time"

	"mapreduce/internal/protocol"
)

// lookup returns the attempt ref names if its worker has that id, or nil.
func (s *Scheduler) lookup(ref protocol.Attempt) *attempt {
	tasks := s.maps
	if ref.Kind == protocol.ReduceTask {
		tasks = s.reduces
	}
	if ref.Task < 0 || ref.Task >= len(tasks) {
		return nil
	}
	h := tasks[ref.Task].history
	for i := len(h) - 1; i >= 0; i-- {
		if a := h[i]; a.n == ref.N {
			if a.worker.id != ref.WorkerID || a.task.kind != ref.Kind {
				return nil
			}
			return a
		}
	}
	return nil
}

// running returns the attempt ref names if it is still running for a live
// worker with that id, or nil.
func (s *Scheduler) running(ref protocol.Attempt) *attempt {
	a := s.lookup(ref)
	if a == nil || s.live(ref.WorkerID) == nil || a.outcome != outcomeRunning {
		return nil
	}
	return a
}

// Attempt is where attempt ref stands: running for a live worker with
// that id (its reads and uploads are served), or its task's committed
// attempt, won (a report or upload of it sent again is answered as
// accepted). Both are false for any other ref.
func (s *Scheduler) Attempt(ref protocol.Attempt) (running, won bool) {
	return s.running(ref) != nil, s.won(ref)
}

// won reports whether ref names its task's committed attempt.
func (s *Scheduler) won(ref protocol.Attempt) bool {
	a := s.lookup(ref)
	return a != nil && a.task.winner == a
}

// accept returns the running attempt ref names, noting the worker alive,
// or logs a stale report and returns nil.
func (s *Scheduler) accept(ref protocol.Attempt, now time.Time) *attempt {
	a := s.running(ref)
	if a == nil {
		s.events = append(s.events, Event{Kind: ReportStale, Worker: ref.WorkerID, Attempt: ref.String()})
		if w := s.live(ref.WorkerID); w != nil && w.current != nil && w.current.outcome != outcomeRunning {
			w.current = nil
		}
		return nil
	}
	a.worker.lastSeen = now
	return a
}

// Output is what a completed attempt produced.
type Output struct {
	Runs          int   // a map attempt's runs, which must be one per reduce task; unused for a reduce
	Parts         int   // the parts a map attempt mapped besides its task's own input (absorb.go)
	Read, Written int64 // bytes of input (map) or of fetched runs (reduce) read; bytes written
	Counters      *protocol.Counters
}

// Done applies the report that attempt ref completed and produced out. A
// map attempt's report comes from its worker; a reduce attempt's once the
// coordinator holds its output. The first valid report of a running
// attempt commits it; the winner's map report sent again is accepted
// again and changes nothing. It reports whether the report was accepted.
func (s *Scheduler) Done(ref protocol.Attempt, out Output, now time.Time) bool {
	if ref.Kind == protocol.ReduceTask {
		return s.reduceDone(ref, out, now)
	}
	return s.mapDone(ref, out, now)
}

// mapDone commits a map attempt's output if it is the first valid report.
func (s *Scheduler) mapDone(ref protocol.Attempt, out Output, now time.Time) bool {
	nReduce, read, written := out.Runs, out.Read, out.Written
	if s.won(ref) {
		a := s.lookup(ref)
		s.note(ReportRepeated, a, a.worker)
		return a.written == written
	}
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	if nReduce != s.cfg.NReduce || written < 0 || read < 0 {
		s.note(ReportRefused, a, a.worker, "runs", nReduce, "want", s.cfg.NReduce)
		return false
	}
	if out.Parts != len(a.task.parts) { // its output lacks some of its task's input
		s.note(ReportRefused, a, a.worker, "parts", out.Parts, "want", len(a.task.parts))
		return false
	}
	a.committed, a.read, a.written = true, read, written
	s.srcVersion++
	s.win(a, now)
	s.recordCounters(a, out.Counters)
	a.worker.owned[a.task.index] = a.task
	s.mapCommitted(now)
	return true
}

// mapCommitted counts a map task done; the last one starts the reduce
// phase.
func (s *Scheduler) mapCommitted(now time.Time) {
	s.mapsDone++
	if s.mapsDone == len(s.maps) && s.phase == phaseMap {
		s.setPhase(phaseReduce)
		for _, t := range s.reduces {
			if t.state == taskIdle {
				s.enqueue(t, now)
			}
		}
	}
}

// reduceDone commits a reduce attempt whose output the coordinator holds.
func (s *Scheduler) reduceDone(ref protocol.Attempt, out Output, now time.Time) bool {
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	a.read, a.written = out.Read, out.Written
	s.win(a, now)
	a.worker.reduceWon = now
	s.recordCounters(a, out.Counters)
	s.reducesDone++
	if s.reducesDone == len(s.reduces) {
		s.setPhase(phaseMerge)
	}
	return true
}

// win marks a the task's committed attempt; any other running attempt of
// the task has lost.
func (s *Scheduler) win(a *attempt, now time.Time) {
	t := a.task
	t.state, t.winner = taskDone, a
	s.endAttempt(a, outcomeWon, now)
	a.worker.failRun = 0
	a.worker.wins++
	s.wonTime[t.kind-1] += now.Sub(a.start) / time.Duration(max(a.share, 1)) // a batch's tasks share its time
	s.wonCount[t.kind-1]++
	for len(t.running) > 0 {
		s.note(AttemptSuperseded, t.running[0], t.running[0].worker, "winner", a.ID())
		s.endAttempt(t.running[0], outcomeLost, now)
	}
	s.note(TaskDone, a, a.worker)
}
