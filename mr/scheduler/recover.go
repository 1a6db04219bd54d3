// Recovery after a restart of the coordinator. A journaled job's
// coordinator, run again, hands its journal's state to a fresh scheduler
// before any worker joins (Restore): reduce tasks whose outputs it still
// holds are done; map tasks committed before the restart wait, pending,
// for a while, so that their owners, which outlive a coordinator of a
// journaled job, can offer them back when they register again (Offer)
// instead of running Map again. A pending map
// whose owner does not come back within its grace goes back to idle and
// runs again. Attempt numbers go on from the journal's, so that no new
// attempt takes the name of an output a worker still holds.

package scheduler

import (
	"strconv"
	"strings"
	"time"

	"mapreduce/internal/protocol"
)

// recovered is a map task's commit before a restart, as the journal has it.
type recovered struct {
	n             int    // the committed attempt
	owner         string // the worker that ran it, by its id then
	read, written int64
	counters      *protocol.Counters
	until         time.Time // after this, the map runs again
}

// Commit is a task's committed attempt as a journal records it.
type Commit struct {
	Task, Attempt int
	Worker        string // the id of the worker that ran it
	Read, Written int64
	Counters      *protocol.Counters
}

// Try is the highest attempt number a task had before a restart.
type Try struct {
	Kind    protocol.TaskKind
	Task, N int
}

// Restart is a job's state as its journal holds it.
type Restart struct {
	Tries   []Try     // every task's highest attempt number: new attempts are numbered after
	Reduces []Commit  // committed reduce tasks whose outputs the coordinator still holds
	Maps    []Commit  // committed map tasks: pending until their owners offer them back
	Workers []string  // every worker the journal names
	Until   time.Time // when pending maps whose owners did not come back run again
}

// Restore applies a restarted job's journal to a fresh scheduler, before
// any worker registers: its reduce tasks are done, its map tasks pending
// until r.Until, its attempt numbers and workers' ids go on from the
// journal's. Tasks it does not have are ignored.
func (s *Scheduler) Restore(r Restart, now time.Time) {
	for _, t := range r.Tries {
		s.attempted(t.Kind, t.Task, t.N)
	}
	for _, c := range r.Reduces {
		s.recoverReduce(c, now)
	}
	for _, c := range r.Maps {
		s.recoverMap(c, r.Until)
	}
	s.earlier(r.Workers)
}

// earlier notes the workers registered before a restart: new ones get
// ids after theirs, and views list them as of an earlier run.
func (s *Scheduler) earlier(ids []string) {
	for _, id := range ids {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "w"))
		if err != nil || !strings.HasPrefix(id, "w") || s.workers[id] != nil {
			continue
		}
		s.workers[id] = &worker{id: id, dead: true, earlier: true, owned: make(map[int]*task)}
		s.nextWorker = max(s.nextWorker, n)
	}
}

// recoverReduce marks reduce task c.Task done by an attempt of before a
// restart, whose output the coordinator still holds; a task it does not
// have is ignored.
func (s *Scheduler) recoverReduce(c Commit, now time.Time) {
	if c.Task < 0 || c.Task >= len(s.reduces) {
		return
	}
	t := s.reduces[c.Task]
	if t.state == taskDone {
		return
	}
	t.lastN = max(t.lastN, c.Attempt)
	a := &attempt{task: t, n: c.Attempt, worker: s.earlierWorker(c.Worker), start: now, end: now,
		outcome: outcomeWon, recovered: true, read: c.Read, written: c.Written}
	s.recordCounters(a, c.Counters)
	t.history = append(t.history, a)
	t.state, t.winner = taskDone, a
	s.reducesDone++
	s.note(TaskRecovered, a, nil, "from", "journal")
	if s.reducesDone == len(s.reduces) {
		s.setPhase(phaseMerge)
	}
}

// recoverMap notes map task c.Task as committed by an attempt of before a
// restart: it is pending until its owner offers it back (Offer), and runs
// again if none has by until. A task it does not have is ignored.
func (s *Scheduler) recoverMap(c Commit, until time.Time) {
	if c.Task < 0 || c.Task >= len(s.maps) {
		return
	}
	t := s.maps[c.Task]
	if t.state != taskIdle {
		return
	}
	t.lastN = max(t.lastN, c.Attempt)
	t.state = taskPending
	s.pendingMaps++
	t.pending = &recovered{n: c.Attempt, owner: c.Worker, read: c.Read, written: c.Written, counters: c.Counters, until: until}
}

// attempted notes that task of kind had attempts up to n before a
// restart: new attempts are numbered after them.
func (s *Scheduler) attempted(kind protocol.TaskKind, task, n int) {
	if tasks := s.tasks(kind); task >= 0 && task < len(tasks) {
		tasks[task].lastN = max(tasks[task].lastN, n)
	}
}

// Offer applies worker id's offer, as it registers again after a
// restart, of the map outputs it ran as worker old: each is taken back
// only if the journal names that very attempt and worker, and the task
// is still pending; the map is then done, its output on id. It returns
// the outputs taken back.
func (s *Scheduler) Offer(id, old string, maps []protocol.MapAttempt, now time.Time) []protocol.MapAttempt {
	var taken []protocol.MapAttempt
	for _, m := range maps {
		if s.adopt(id, m.Map, m.Attempt, old, now) {
			taken = append(taken, m)
		}
	}
	return taken
}

// adopt takes back map task m's output, attempt n, offered by worker id,
// which ran it before the restart as old.
func (s *Scheduler) adopt(id string, m, n int, old string, now time.Time) bool {
	w := s.live(id)
	if w == nil || m < 0 || m >= len(s.maps) {
		return false
	}
	t := s.maps[m]
	p := t.pending
	if t.state != taskPending || p.n != n || p.owner != old {
		return false
	}
	a := &attempt{task: t, n: n, worker: w, start: now, end: now, outcome: outcomeWon, committed: true,
		recovered: true, read: p.read, written: p.written}
	s.recordCounters(a, p.counters)
	t.history = append(t.history, a)
	w.attempts = append(w.attempts, a)
	t.pending = nil
	s.pendingMaps--
	t.state, t.winner = taskDone, a
	w.owned[m] = t
	s.srcVersion++
	s.note(MapOutputTakenBack, a, w, "ran_as", old)
	s.mapCommitted(now)
	return true
}

// expirePending sends back to idle every pending map whose owner has not
// offered it back in time.
func (s *Scheduler) expirePending(now time.Time) {
	if s.pendingMaps == 0 || s.reducesDone == len(s.reduces) {
		return // nothing pending, or nothing needs the maps any more
	}
	for _, t := range s.maps {
		if t.state == taskPending && now.After(t.pending.until) {
			s.note(RecoveredMapRerun, nil, nil, "task", protocol.TaskName(t.kind, t.index),
				"owner_then", t.pending.owner)
			t.pending, t.state = nil, taskIdle
			s.pendingMaps--
			s.enqueue(t, now)
		}
	}
}

// earlierWorker is the record of a worker of before a restart.
func (s *Scheduler) earlierWorker(id string) *worker {
	s.earlier([]string{id})
	if w := s.workers[id]; w != nil {
		return w
	}
	return &worker{id: id, dead: true, earlier: true, owned: make(map[int]*task)}
}

func (s *Scheduler) tasks(kind protocol.TaskKind) []*task {
	if kind == protocol.ReduceTask {
		return s.reduces
	}
	return s.maps
}
