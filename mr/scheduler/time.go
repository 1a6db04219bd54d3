// The scheduler's clock (Tick: the heartbeat monitor, slow attempts,
// pending maps and unheld inputs), the end of the job (End), and its
// progress.

package scheduler

import (
	"fmt"
	"time"

	"mapreduce/internal/protocol"
)

// Tick applies the passing of time up to now: workers silent for the
// heartbeat timeout are dead, attempts running past the task timeout get
// a backup, pending maps whose owners did not come back run again, and a
// manifest job whose input nobody holds fails. The coordinator calls it
// often (every eighth of the heartbeat timeout at least).
func (s *Scheduler) Tick(now time.Time) {
	s.expireWorkers(now)
	s.expireSlow(now)
}

// expireWorkers declares dead every worker silent for the heartbeat
// timeout; one told the job is over has exited, not died, and an
// excluded one is out of the job already.
func (s *Scheduler) expireWorkers(now time.Time) {
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
	s.note(WorkerDied, nil, w, "why", why)
	s.endAll(w, outcomeDied, now)
	s.loseOutputs(w, now)
}

// expireSlow queues for backup every task whose only attempt has run
// longer than the task timeout.
func (s *Scheduler) expireSlow(now time.Time) {
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
			s.note(TaskSlow, a, a.worker, "running", now.Sub(a.start).Round(time.Millisecond).String())
		}
	}
}

// End ends the job: why is "" when its final output is written (the job
// is done), else the one line the coordinator exits with (it failed).
// Either way, workers are told to exit.
func (s *Scheduler) End(why string) {
	if why == "" {
		s.setPhase(phaseDone)
		return
	}
	s.fail(why)
}

// fail ends the job: why is the one line the coordinator exits with.
func (s *Scheduler) fail(why string) {
	s.failure = why
	s.setPhase(phaseFailed)
}

// allExited reports whether every live worker has been told to exit.
// Excluded workers are not waited for: they hear it when they next ask.
func (s *Scheduler) allExited() bool {
	for _, w := range s.workers {
		if !w.dead && w.excluded == "" && !w.exitSent {
			return false
		}
	}
	return true
}

// Progress counts done tasks, workers and the work done.
type Progress struct {
	Phase                string
	MapsDone, Maps       int
	ReducesDone, Reduces int
	Workers, LiveWorkers int
	WorkerCounts         protocol.WorkerCounts // every worker by state, as Status counts them
	// AllExited: every live worker has been told to exit (excluded ones
	// are not waited for: they hear it when they next ask).
	AllExited bool
	// Bytes and Records are the input the committed attempts processed:
	// bytes of map splits and fetched runs, records of map and reduce input.
	Bytes, Records int64
}

// String is the progress as a person reads it: "map 3/5 done, reduce 0/2".
func (p Progress) String() string {
	return fmt.Sprintf("map %d/%d done, reduce %d/%d", p.MapsDone, p.Maps, p.ReducesDone, p.Reduces)
}

// Progress is how far the job has got. It counts every task and worker:
// Job is the cheap view.
func (s *Scheduler) Progress() Progress {
	p := s.counts()
	p.WorkerCounts, p.AllExited = s.workerCounts(), s.allExited()
	p.Bytes, p.Records = s.processed()
	return p
}

// counts counts done tasks and live workers.
func (s *Scheduler) counts() Progress {
	p := Progress{Phase: s.phase.String(), MapsDone: s.mapsDone, Maps: len(s.maps),
		ReducesDone: s.reducesDone, Reduces: len(s.reduces), Workers: len(s.workers)}
	for _, w := range s.workers {
		if !w.dead && w.excluded == "" {
			p.LiveWorkers++
		}
	}
	return p
}
