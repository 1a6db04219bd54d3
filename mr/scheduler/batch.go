// Batches of reduce tasks: while many reduce tasks remain for each
// worker, one assignment carries several (protocol.GetTaskReply.Batch),
// whose runs the worker fetches with one request per owner and reports
// in one call, so that a job of thousands of small reduce tasks does not
// pay a fetch and a report round trip for each. Every task of a batch is
// an attempt of its own (numbered, fenced, won, failed, backed up alone);
// the batch is only how they were handed out. Batches shrink to one task
// as the phase nears its end, so backups and stragglers are judged as
// before.

package scheduler

import (
	"time"

	"mapreduce/internal/protocol"
)

// batchShare is how many of the reduce tasks left each live worker should
// still get at least in batches: the phase ends balanced.
const batchShare = 4

// batchSize is how many reduce tasks the next assignment may carry: at
// most Config.ReduceBatch, with at most protocol.MaxBatchRuns runs to
// fetch (tasks times M), at most 1/batchShare of each live worker's share
// of the tasks left, and only as many as typically run in a quarter of
// BackupAfter, so that no task of a batch waits long enough for its turn
// to look slow. Before a reduce attempt has won, one.
func (s *Scheduler) batchSize() int {
	if s.cfg.ReduceBatch <= 1 || s.cfg.MapOnly {
		return 1
	}
	typical, known := s.typical(protocol.ReduceTask)
	budget := min(s.cfg.BackupAfter, s.cfg.TaskTimeout) / 4
	if !known || budget <= 0 {
		return 1
	}
	live := 0
	for _, w := range s.workers {
		if !w.dead && w.excluded == "" {
			live++
		}
	}
	k := (len(s.reduces) - s.reducesDone) / (batchShare * max(live, 1))
	if typical > 0 {
		k = min(k, int(budget/typical))
	}
	return max(1, min(k, s.cfg.ReduceBatch, protocol.MaxBatchRuns/max(len(s.maps), 1)))
}

// startBatch gives w, whose current attempt is the first of a reduce
// batch of k, up to k-1 further idle reduce tasks, and returns them as
// the assignment names them (none if k is 1).
func (s *Scheduler) startBatch(w *worker, k int, now time.Time) []protocol.BatchTask {
	first := w.current
	var batch []protocol.BatchTask
	for len(batch) < k-1 {
		t := s.idle[1].pop()
		if t == nil {
			break
		}
		a := s.startAttempt(t, w, now)
		w.batch = append(w.batch, a)
		batch = append(batch, protocol.BatchTask{Task: t.index, Attempt: a.n})
	}
	if n := len(w.batch); n > 0 {
		first.share = n + 1
		for _, a := range w.batch {
			a.share = n + 1
		}
	}
	w.current = first
	return batch
}

// endBatch ends w's attempts still running, its current and its batch's,
// with outcome o.
func (s *Scheduler) endBatch(w *worker, o outcome, now time.Time) {
	for _, a := range assigned(w) {
		if a != nil && a.outcome == outcomeRunning {
			if o == outcomeAbandoned {
				s.note(AttemptAbandoned, a, w)
			}
			s.endAttempt(a, o, now)
		}
	}
	w.batch = nil
}

// endAll ends every attempt w still runs, its batch's and those it is
// committing, with outcome o: w is gone.
func (s *Scheduler) endAll(w *worker, o outcome, now time.Time) {
	s.endBatch(w, o, now)
	for _, a := range w.sending {
		s.endAttempt(a, o, now)
	}
	w.sending = nil
}

// Committing notes, as worker id asks for its next attempt, the reduce
// attempts of its own whose outputs it is still sending (at most
// maxCommitting): they stay running, for their upload to commit them,
// while it runs the next one, where the attempts of a worker that asks
// are otherwise abandoned. One it named before and no longer names is
// abandoned.
func (s *Scheduler) Committing(id string, refs []protocol.Attempt, now time.Time) {
	w := s.live(id)
	if w == nil {
		return
	}
	refs = refs[:min(len(refs), maxCommitting)]
	named := func(a *attempt) bool {
		if a == nil || a.outcome != outcomeRunning || a.task.kind != protocol.ReduceTask {
			return false
		}
		for _, r := range refs {
			if r.Kind == protocol.ReduceTask && r.Task == a.task.index && r.N == a.n {
				return true
			}
		}
		return false
	}
	var keep []*attempt
	for _, a := range w.sending {
		switch {
		case named(a):
			keep = append(keep, a)
		case a.outcome == outcomeRunning:
			s.note(AttemptAbandoned, a, w)
			s.endAttempt(a, outcomeAbandoned, now)
		}
	}
	if named(w.current) {
		keep, w.current = append(keep, w.current), nil
	}
	rest := w.batch[:0]
	for _, a := range w.batch {
		if named(a) {
			keep = append(keep, a)
		} else {
			rest = append(rest, a)
		}
	}
	w.batch, w.sending = rest, keep
}

// maxCommitting is the most attempts a worker may say it is committing.
const maxCommitting = 4

// assigned is w's last assignment: its current attempt (nil if none) and
// the rest of its batch.
func assigned(w *worker) []*attempt { return append([]*attempt{w.current}, w.batch...) }
