// Backup attempts (paper §3.6): "when a MapReduce operation is close to
// completion, the master schedules backup executions of the remaining
// in-progress tasks". Two rules give a running attempt its one backup:
//
//   - timeout: it has run (without progress) for the task timeout; it is
//     queued by Tick and handed to the next free worker;
//   - end of phase (LATE, Zaharia et al., OSDI'08): a worker that finds no
//     idle task backs up the attempt expected to finish last, if that one
//     has run at least backupAfter and is a straggler by the estimates
//     below.
//
// Either way an attempt gets one backup at most, never on its own worker,
// and a reduce is backed up only once every map is done.

package scheduler

import (
	"time"

	"mapreduce/internal/protocol"
)

// slowFactor: an attempt is a straggler when it is expected to take this
// many times as long as the task kind's won attempts took on average.
const slowFactor = 3

// popBackup returns a slow task that w is not already running, dropping
// queue entries that no longer need a backup.
func (s *Scheduler) popBackup(w *worker) *task {
	for i := 0; i < len(s.backups); i++ {
		t := s.backups[i]
		if t.state != taskRunning || len(t.running) != 1 || t.running[0].backedUp {
			t.backup = false
			s.backups = append(s.backups[:i], s.backups[i+1:]...)
			i--
			continue
		}
		if !s.canBackUp(t.running[0], w) {
			continue
		}
		t.backup = false
		s.backups = append(s.backups[:i], s.backups[i+1:]...)
		return t
	}
	return nil
}

// canBackUp reports whether w may run a backup of running attempt a.
func (s *Scheduler) canBackUp(a *attempt, w *worker) bool {
	t := a.task
	return len(t.running) == 1 && !a.backedUp && a.worker != w &&
		(t.kind == protocol.MapTask || s.mapsDone == len(s.maps))
}

// lateBackup returns the task of the running attempt expected to finish
// last among the stragglers w may back up, or nil. Ties go to the lower
// task, maps first, so that the choice does not depend on map order.
func (s *Scheduler) lateBackup(w *worker, now time.Time) *task {
	var best *attempt
	var bestLeft time.Duration
	for a := range s.inflight {
		if !s.canBackUp(a, w) {
			continue
		}
		left, ok := s.straggling(a, now)
		if ok && (best == nil || left > bestLeft || left == bestLeft && before(a.task, best.task)) {
			best, bestLeft = a, left
		}
	}
	if best == nil {
		return nil
	}
	s.note(TaskSlow, best, best.worker, "running", now.Sub(best.start).Round(time.Millisecond).String(),
		"expected_left", bestLeft.Round(time.Millisecond).String(), "rule", "end of phase")
	return best.task
}

func before(a, b *task) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.index < b.index
}

// straggling estimates how long running attempt a still needs, and
// whether it is a straggler worth a backup. With its worker's progress
// p (LATE): it needs ran*(1-p)/p more, and is a straggler if its whole
// run is expected to take slowFactor times the typical one and the rest
// alone takes longer than a fresh attempt would. Without progress, the
// longer it has run the longer it is expected to run: it needs "ran"
// more, and is a straggler once it ran slowFactor times the typical run.
// Progress that has not moved for a heartbeat timeout counts as unknown:
// a worker that cannot see inside a long app call reports a step, not a
// rate. Before any attempt of its kind has won, nothing is typical: no
// backup (the timeout rule still applies). Attempts younger than
// backupAfter are never stragglers.
func (s *Scheduler) straggling(a *attempt, now time.Time) (time.Duration, bool) {
	ran := now.Sub(a.start)
	typical, known := s.typical(a.task.kind)
	if !known || ran < s.cfg.BackupAfter {
		return 0, false
	}
	frac := a.frac
	if now.Sub(a.fracAt) > s.cfg.HeartbeatTimeout {
		frac = 0
	}
	switch {
	case frac >= 1:
		return 0, false // all but done
	case frac == 0:
		return ran, ran > slowFactor*typical
	}
	total := time.Duration(float64(ran) / frac)
	left := total - ran
	return left, total > slowFactor*typical && left > typical
}

// typical is the mean duration of the won attempts of kind, if any won.
func (s *Scheduler) typical(kind protocol.TaskKind) (time.Duration, bool) {
	n := s.wonCount[kind-1]
	if n == 0 {
		return 0, false
	}
	return s.wonTime[kind-1] / time.Duration(n), true
}

// noteProgress records how far w's current attempt got, as its
// heartbeat says; a report about any other attempt is ignored.
func (s *Scheduler) noteProgress(w *worker, ref protocol.Attempt, frac float64, now time.Time) {
	a := w.current
	if a == nil || a.outcome != outcomeRunning || ref.Kind != a.task.kind || ref.Task != a.task.index || ref.N != a.n {
		return
	}
	if frac > 0 && frac <= 1 && frac != a.frac { // also false for NaN
		a.frac, a.fracAt = frac, now
	}
}
