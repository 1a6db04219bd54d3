package scheduler

// The scheduler's clock-driven side: the heartbeat monitor, the detection
// of slow attempts, and the views of the job as it stands.

import (
	"fmt"
	"time"

	"mapreduce/internal/protocol"
)

// ExpireWorkers declares dead every worker silent for the heartbeat
// timeout; one told the job is over has exited, not died, and an
// excluded one is out of the job already.
func (s *Scheduler) ExpireWorkers(now time.Time) {
	for _, w := range s.workers {
		if !w.dead && !w.exitSent && w.excluded == "" && now.Sub(w.lastSeen) > s.cfg.HeartbeatTimeout {
			s.kill(w, now, "no heartbeat")
		}
	}
	s.checkAllExcluded(now)
	s.expirePending(now)
	s.checkHolders(now)
}

// kill declares w dead: its running attempt ends, and the map outputs it
// holds are re-run while some reduce may still need them.
func (s *Scheduler) kill(w *worker, now time.Time, why string) {
	w.dead = true
	s.note("worker died", nil, w, "why", why)
	if a := w.current; a != nil && a.outcome == outcomeRunning {
		s.endAttempt(a, outcomeDied, now)
	}
	s.loseOutputs(w, now)
}

// ExpireSlow queues for backup every task whose only attempt has run
// longer than the task timeout.
func (s *Scheduler) ExpireSlow(now time.Time) {
	for s.deadlines.Len() > 0 && !s.deadlines[0].at.After(now) {
		a := s.deadlines.pop().a
		if a.outcome != outcomeRunning {
			continue
		}
		due := a.progress.Add(s.cfg.TaskTimeout)
		if a.task.kind == protocol.ReduceTask && s.mapsDone < len(s.maps) {
			due = now.Add(s.cfg.TaskTimeout) // waiting for maps is not slowness
		}
		if due.After(now) {
			s.deadlines.push(deadline{at: due, a: a})
			continue
		}
		if t := a.task; len(t.running) == 1 && !t.backup {
			t.backup = true
			s.backups = append(s.backups, t)
			s.note("task slow", a, a.worker, "running", now.Sub(a.start).Round(time.Millisecond).String())
		}
	}
}

// Finish marks the final output written: workers are told to exit.
func (s *Scheduler) Finish() { s.setPhase(phaseDone) }

// AllExited reports whether every live worker has been told to exit.
// Excluded workers are not waited for: they hear it when they next ask.
func (s *Scheduler) AllExited() bool {
	for _, w := range s.workers {
		if !w.dead && w.excluded == "" && !w.exitSent {
			return false
		}
	}
	return true
}

// Progress counts done tasks and live workers.
type Progress struct {
	Phase                string
	MapsDone, Maps       int
	ReducesDone, Reduces int
	Workers, LiveWorkers int
}

func (p Progress) String() string {
	return fmt.Sprintf("map %d/%d done, reduce %d/%d", p.MapsDone, p.Maps, p.ReducesDone, p.Reduces)
}

// Progress is how far the job has got.
func (s *Scheduler) Progress() Progress {
	p := Progress{Phase: s.phase.String(), MapsDone: s.mapsDone, Maps: len(s.maps),
		ReducesDone: s.reducesDone, Reduces: len(s.reduces), Workers: len(s.workers)}
	for _, w := range s.workers {
		if !w.dead && w.excluded == "" {
			p.LiveWorkers++
		}
	}
	return p
}
