// The scheduler's view of workers: heartbeats and what they carry back,
// failed attempts by class (Failed), and exclusion.
//
// A failed attempt is the app's fault (protocol.FailApp: it panicked,
// exited, hung or outgrew its memory) or the worker's own (FailWorker:
// its disk, its network, its reads and uploads; an unknown class counts
// as the worker's). The app's failures count against the task: one task
// failing maxFailures times fails the job, in one line naming the task,
// its input and the app's last message. The worker's own failures count
// against the worker, never the task, which just goes back to idle: a
// worker failing maxWorkerFailures times in a row (no win in between),
// or whose map outputs reducers could not fetch maxLostOutputs times, is
// excluded from the job. Its running attempt ends, its map outputs are
// re-run as a dead worker's are, its next GetTask answers Exit with the
// reason (its heartbeats are answered "wait" until then: an Exit there
// would read as the job's end), and if every worker that ever joined is
// excluded, the job fails.

package scheduler

import (
	"fmt"
	"slices"
	"time"

	"mapreduce/internal/protocol"
)

// Heartbeat records that a worker is alive and how far its attempt got,
// and tells it whether to go on, and which map outputs it may delete.
func (s *Scheduler) Heartbeat(hb protocol.HeartbeatArgs, now time.Time) protocol.HeartbeatReply {
	w := s.workers[hb.WorkerID]
	switch {
	case w == nil || w.dead:
		return protocol.HeartbeatReply{Action: protocol.ActReregister}
	case w.excluded != "":
		return protocol.HeartbeatReply{Action: protocol.ActWait} // GetTask tells it why
	}
	w.lastSeen = now
	if s.over() {
		s.toldToExit(w)
		return protocol.HeartbeatReply{Action: protocol.ActExit}
	}
	s.noteProgress(w, hb.Attempt, hb.Progress, now)
	s.verified(w, hb.Verified, now)
	reply := protocol.HeartbeatReply{Action: protocol.ActWait, Drop: s.takeDrops(w), Verify: w.verify}
	w.verify = nil
	return reply
}

// dropLater queues map task m's output on w for deletion: nobody needs it.
func (s *Scheduler) dropLater(w *worker, m int) {
	if !slices.Contains(w.drop, m) {
		w.drop = append(w.drop, m)
	}
}

// takeDrops returns the map tasks w may delete the output of, and
// forgets them. A task whose output w holds again, or is computing now,
// stays queued until that is no longer so.
func (s *Scheduler) takeDrops(w *worker) []int {
	var out, keep []int
	for _, m := range w.drop {
		a := w.current
		busy := a != nil && a.outcome == outcomeRunning && a.task.kind == protocol.MapTask && a.task.index == m
		if _, owned := w.owned[m]; owned || busy {
			keep = append(keep, m)
		} else {
			out = append(out, m)
		}
	}
	w.drop = keep
	return out
}

// Failed applies a report that attempt ref could not complete, counted
// against the task (class FailApp) or against its worker (anything
// else). It reports whether the report was accepted (the attempt ran).
func (s *Scheduler) Failed(ref protocol.Attempt, class protocol.FailureClass, why string, now time.Time) bool {
	return s.FailedIn(ref, 0, class, why, now)
}

// FailedIn is Failed for a map attempt that failed in part part of its
// task's input (ReportFailureArgs.Part; -1 finishing its output): an
// app's failure counts against the task absorbed as that part, in its
// streak, which an attempt that gets past that input ends (Extend). So
// an input the app always fails on fails the job after MaxFailures
// attempts, as alone, and an app that fails at random is not charged for
// every part an attempt must get through: with 4 parts and a Map that
// exits one call in three, an attempt succeeds one time in five.
func (s *Scheduler) FailedIn(ref protocol.Attempt, part int, class protocol.FailureClass, why string, now time.Time) bool {
	a := s.accept(ref, now)
	if a == nil {
		return false
	}
	if class != protocol.FailApp {
		class = protocol.FailWorker
	}
	if s.over() {
		// The job ended first (its input failed the coordinator, say,
		// which cut this attempt's split short): nobody is to blame, and
		// the attempt did not fail, it was given up.
		s.note(AttemptGivenUp, a, a.worker, "class", class.String(), "err", why)
		s.endAttempt(a, outcomeAbandoned, now)
		return true
	}
	s.note(AttemptFailed, a, a.worker, "class", class.String(), "err", why)
	s.endAttempt(a, outcomeFailed, now)
	switch {
	case class == protocol.FailApp && part > 0 && part <= min(a.parts, len(a.task.parts)):
		s.appFailed(a.task.parts[part-1], &a.task.parts[part-1].streak, why)
	case class == protocol.FailApp && part < 0:
		s.appFailed(a.task, &a.task.finishes, why)
	case class == protocol.FailApp:
		s.appFailed(a.task, &a.task.streak, why)
	default:
		s.workerFailed(a.worker, why, now)
	}
	return true
}

// appFailed counts an app failure of t in *count: its streak on its
// input, or its failures finishing an output; the job fails when that
// reaches maxFailures. A task that is not absorbing or absorbed has no
// attempt that gets past its input and fails, so its streak is all its
// failures, as it always was.
func (s *Scheduler) appFailed(t *task, count *int, why string) {
	t.failures++
	if *count++; *count >= s.cfg.MaxFailures {
		s.fail(fmt.Sprintf("%s failed %d times; the app's last error: %s", s.describe(t), t.failures, why))
	}
}

// describe names a task and, for a map task, its input: "map-3 (input
// pg-grimm.txt)", and those of the tasks it absorbed: "map-3 (input
// a.txt [0, 67108864); absorbed map-4, input a.txt [67108864, ...))",
// or the task that absorbed it: "map-4 (input ..., mapped by map-3's
// attempts)".
func (s *Scheduler) describe(t *task) string {
	name := protocol.TaskName(t.kind, t.index)
	if (t.kind == protocol.MapTask || s.cfg.MapOnly) && t.index < len(s.cfg.MapInputs) {
		name += " (input " + s.cfg.MapInputs[t.index]
		if u := t.absorbedBy; u != nil {
			name += ", mapped by " + protocol.TaskName(u.kind, u.index) + "'s attempts"
		}
		for _, u := range t.parts {
			if u.index < len(s.cfg.MapInputs) {
				name += "; absorbed " + protocol.TaskName(u.kind, u.index) + ", input " + s.cfg.MapInputs[u.index]
			}
		}
		name += ")"
	}
	return name
}

// workerFailed counts a failure of w's own; maxWorkerFailures in a row
// exclude it.
func (s *Scheduler) workerFailed(w *worker, why string, now time.Time) {
	w.failRun++
	if w.failRun >= s.cfg.MaxWorkerFailures {
		s.exclude(w, fmt.Sprintf("%d failures in a row, last: %s", w.failRun, why), now)
	}
}

// exclude takes w out of the job for good: its running attempt ends, its
// map outputs are re-run, and its next GetTask tells it why.
func (s *Scheduler) exclude(w *worker, why string, now time.Time) {
	if w.dead || w.excluded != "" {
		return
	}
	w.excluded = why
	s.note(WorkerExcluded, nil, w, "why", why)
	s.endAll(w, outcomeExcluded, now)
	s.loseOutputs(w, now)
	if s.allExcluded() && !s.over() && s.allOut.IsZero() {
		s.allOut, s.allOutWhy = now, fmt.Sprintf("the last, %s: %s", w.id, why)
		s.note(AllExcluded, nil, nil, "waiting_for_another", (2 * s.cfg.HeartbeatTimeout).String())
	}
}

// checkAllExcluded fails the job if every worker that joined has been
// excluded for twice the heartbeat timeout and none has joined since: a
// bad worker started first must not fail a job that good ones are about
// to join.
func (s *Scheduler) checkAllExcluded(now time.Time) {
	switch {
	case s.allOut.IsZero() || s.over():
	case !s.allExcluded():
		s.allOut = time.Time{}
	case now.Sub(s.allOut) > 2*s.cfg.HeartbeatTimeout:
		s.fail(fmt.Sprintf("every worker that joined (%d) was excluded, and none joined for %s; %s",
			len(s.workers), 2*s.cfg.HeartbeatTimeout, s.allOutWhy))
	}
}

// loseOutputs re-runs the map tasks whose output lives only on w, while
// some reduce may still need them.
func (s *Scheduler) loseOutputs(w *worker, now time.Time) {
	if s.reducesDone == len(s.reduces) {
		return
	}
	for _, t := range w.owned {
		s.rerunMap(t, now)
	}
}

func (s *Scheduler) allExcluded() bool {
	for _, w := range s.workers {
		if w.excluded == "" {
			return false
		}
	}
	return len(s.workers) > 0
}

// excludedReason is what an excluded worker is told, and prints as it exits.
func excludedReason(w *worker) string {
	return fmt.Sprintf("worker %s is excluded from the job: %s", w.id, w.excluded)
}
