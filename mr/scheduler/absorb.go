// Absorbed map tasks: a worker that has mapped its split keeps its map
// output open and asks for more (Extend); the next map task, if it is
// idle and nobody ran it, is then absorbed into its task, for good (both
// large: canGrow): every attempt of that task, this one and any later (a
// backup, a re-run after a loss), maps the absorbed task's input too,
// and the absorbed task's output is empty, always. A worker's map phase
// then ends in one output, combined, sorted and written once, where each
// task paid for that again (its index of the same keys, their sort, its
// runs), and reducers merge fewer, larger runs.
//
// Why for good: a reducer may fetch a map output from any committed
// attempt, and mixes attempts of different tasks. If what a task's
// output holds changed from one attempt to the next, a reducer could
// count the same records twice, or miss some. Absorbed once and for all,
// a task's output is a function of the task, as before. And only a task
// that never committed an output is absorbed: no reducer can have
// fetched one.

package scheduler

import (
	"time"

	"mapreduce/internal/protocol"
)

// Extend answers map attempt ref, which has mapped its task's input and
// the first mapped parts handed to it, its output still open, asking for
// more: the next absorbed task of its task, else an idle map task
// absorbed now, if its task may grow; else none (part -1), and the
// attempt finishes its output and reports. Asked again with the same
// mapped (its reply was lost), it answers the same. ok is false if ref
// does not run, or says it mapped a part it was not handed: its worker
// drops what it mapped.
func (s *Scheduler) Extend(ref protocol.Attempt, mapped int, now time.Time) (part int, ok bool) {
	a := s.running(ref)
	if a == nil || ref.Kind != protocol.MapTask || mapped < 0 || mapped > a.parts {
		return -1, false
	}
	a.worker.lastSeen = now
	t := a.task
	t.streak = 0 // it got past its task's own input, and the parts it mapped
	for _, u := range t.parts[:min(mapped, len(t.parts))] {
		u.streak = 0
	}
	if mapped == a.parts {
		// It mapped every part handed to it: progress, which puts off
		// the task timeout (a call sent again does not).
		a.progress = now
	}
	if mapped < len(t.parts) {
		a.parts = max(a.parts, mapped+1)
		return t.parts[mapped].index, true
	}
	if u := s.absorbable(a); u != nil {
		s.absorb(t, u, now)
		a.parts = len(t.parts)
		return u.index, true
	}
	return -1, true
}

// absorbable is the map task that attempt a's task may absorb now, or
// nil: the task right after the last one it maps (a task's values reach
// Reduce in the order of the inputs, each map's after the map before),
// while the job absorbs, a is its task's one running attempt, the task
// stays within Config.AbsorbBytes, and that next task is fresh and
// readable by a's worker.
func (s *Scheduler) absorbable(a *attempt) *task {
	t := a.task
	if len(t.running) != 1 || s.phase != phaseMap {
		return nil
	}
	next := t.index + len(t.parts) + 1
	if next >= len(s.maps) {
		return nil
	}
	if u := s.maps[next]; s.fresh(u) && s.canGrow(t, u) && s.readable(u, a.worker) && !s.homeElsewhere(u, a.worker) {
		return u
	}
	return nil
}

// homeHeld reports whether w holds map task u's home input.
func (s *Scheduler) homeHeld(u *task, w *worker) bool {
	if u.index >= len(s.cfg.MapHome) {
		return false
	}
	home := s.cfg.MapHome[u.index]
	return home >= 0 && w.holds[home]
}

// homeElsewhere reports whether map task u's home input is held by a
// live worker other than w, and not by w: u is left for a worker that
// reads it from its own disk (locality.go), not absorbed by one that
// would fetch it.
func (s *Scheduler) homeElsewhere(u *task, w *worker) bool {
	if u.index >= len(s.cfg.MapHome) {
		return false
	}
	home := s.cfg.MapHome[u.index]
	if home < 0 || home >= len(s.in.holders) || w.holds[home] {
		return false
	}
	for _, h := range s.in.holders[home] {
		if h != w && s.live(h.id) != nil {
			return true
		}
	}
	return false
}

// fresh reports whether map task u may be absorbed: idle, never
// committed, absorbing none and absorbed by none.
func (s *Scheduler) fresh(u *task) bool {
	return u.kind == protocol.MapTask && u.state == taskIdle && u.absorbedBy == nil && len(u.parts) == 0 && !everCommitted(u)
}

// canGrow reports whether task t may absorb u: both of at least
// Config.AbsorbMin bytes, t's input then within Config.AbsorbBytes. A
// small task's output costs little of its own (its keys' index, their
// sort and its runs are small), and a task that absorbed others is
// redone whole: only large ones gain more than they risk.
func (s *Scheduler) canGrow(t, u *task) bool {
	min := max(s.cfg.AbsorbMin, 1)
	return s.cfg.AbsorbBytes > 0 && s.mapSize(t) >= min && s.mapSize(u) >= min &&
		s.taskBytes(t)+s.mapSize(u) <= s.cfg.AbsorbBytes
}

// mayAbsorb reports whether some map task may absorb the next one: only
// then does spreadMap choose where new map attempts start.
func (s *Scheduler) mayAbsorb() bool {
	for i := 1; i < len(s.maps) && i <= maxSpread; i++ {
		if s.canGrow(s.maps[i-1], s.maps[i]) {
			return true
		}
	}
	return false
}

// spreadMap picks, in a job that absorbs, a worker's next map task among
// the idle ones: one that cannot be absorbed first (a re-run), in queue
// order; else the one that leaves each running attempt the most tasks to
// absorb, and the new one the most after it (spreadFresh). Of M tasks the
// choice costs O(M): beyond maxSpread tasks, or in a job none of whose
// tasks may absorb the next, the queue's order.
func (s *Scheduler) spreadMap(w *worker) *task {
	if !s.spreading() {
		return s.idleMap(w)
	}
	q := &s.idle[0]
	for _, u := range q.items[q.head:] {
		if u != nil && u.state == taskIdle && !s.fresh(u) && s.readable(u, w) {
			return u
		}
	}
	return s.spreadFresh(func(u *task) bool { return s.readable(u, w) })
}

// spreadLocal is spreadFresh among the idle map tasks whose home w holds,
// so that a job whose inputs its workers hold absorbs too: taken in the
// local queue's order, two workers holding every input would start at
// map-0 and map-1, and neither could absorb the other's. Nil where
// spreadMap would keep the queue's order, where w holds none of the fresh
// tasks' homes, or while its local queue holds a re-run (a task whose
// output was lost): localTask then, in that queue's order.
func (s *Scheduler) spreadLocal(w *worker) *task {
	if !s.spreading() || len(w.holds) == 0 {
		return nil
	}
	q := &w.local
	for _, u := range q.items[q.head:] {
		if u != nil && u.state == taskIdle && !s.fresh(u) && s.readable(u, w) {
			return nil // a re-run: the local queue's order, as ever
		}
	}
	return s.spreadFresh(func(u *task) bool { return s.homeHeld(u, w) && s.readable(u, w) })
}

// NextMap is the map task whose input is most likely read next, once map
// task after's input is, of those taken does not say were guessed before:
// in a job whose tasks absorb, after+1 (the task after's attempt absorbs,
// or a new attempt's start); else the first idle map task of the queue,
// in the order the next workers to ask are handed them. -1 if there is
// none to guess. The coordinator reads that one's input from the device
// ahead of its use.
func (s *Scheduler) NextMap(after int, taken func(int) bool) int {
	if s.spreading() {
		if next := after + 1; next < len(s.maps) && !taken(next) {
			return next
		}
		return -1
	}
	q := &s.idle[0]
	for _, u := range q.items[q.head:] {
		if u != nil && u.state == taskIdle && u.kind == protocol.MapTask && u.index != after && !taken(u.index) {
			return u.index
		}
	}
	return -1
}

// spreading reports whether new map attempts are spread over the fresh
// tasks (spreadFresh), not taken in a queue's order.
func (s *Scheduler) spreading() bool { return s.spread && len(s.maps) <= maxSpread }

// spreadFresh picks the fresh map task, of those ok takes, that leaves
// each running attempt the most tasks to absorb and the new one the most
// after it: a run of such tasks right after a running attempt's last is
// that attempt's to absorb, and the new attempt takes the second half of
// it; a run after no such attempt, it takes from its start. Nil if there
// is none.
func (s *Scheduler) spreadFresh(ok func(*task) bool) *task {
	var best *task
	bestScore := 0
	for i := 0; i < len(s.maps); {
		if !s.fresh(s.maps[i]) || !ok(s.maps[i]) {
			i++
			continue
		}
		start := i
		for i < len(s.maps) && s.fresh(s.maps[i]) && ok(s.maps[i]) {
			i++
		}
		n, pick := i-start, start
		if s.owned(start) {
			pick = start + n/2
		}
		if score := start + n - pick; score > bestScore {
			best, bestScore = s.maps[pick], score
		}
	}
	return best
}

// maxSpread is the most map tasks spreadMap looks over.
const maxSpread = 4096

// owned reports whether the fresh task at index i comes right after the
// last task of a running attempt that may absorb it.
func (s *Scheduler) owned(i int) bool {
	if i == 0 {
		return false
	}
	c := s.maps[i-1]
	if c.absorbedBy != nil {
		c = c.absorbedBy
	}
	return c.state == taskRunning && len(c.running) == 1 && c.index+len(c.parts) == i-1 && s.canGrow(c, s.maps[i])
}

// absorb makes u a part of t for good: u is done, with an empty output.
// Its entries in the idle queues are skipped from now on (not idle).
func (s *Scheduler) absorb(t, u *task, now time.Time) {
	t.parts = append(t.parts, u)
	u.absorbedBy = t
	u.state = taskDone
	s.note(TaskAbsorbed, t.running[0], t.running[0].worker, "task", protocol.TaskName(u.kind, u.index))
	s.srcVersion++
	s.mapCommitted(now)
}

// everCommitted reports whether an attempt of t ever committed an output.
func everCommitted(t *task) bool {
	for _, a := range t.history {
		if a.committed || a.recovered {
			return true
		}
	}
	return t.pending != nil
}

// taskBytes is map task t's input in bytes, its absorbed tasks' included
// (0 where the job gave no sizes).
func (s *Scheduler) taskBytes(t *task) int64 {
	n := s.mapSize(t)
	for _, u := range t.parts {
		n += s.mapSize(u)
	}
	return n
}

// mapSize is map task t's own input in bytes, or 0 if unknown.
func (s *Scheduler) mapSize(t *task) int64 {
	if t.index < len(s.cfg.MapSizes) {
		return s.cfg.MapSizes[t.index]
	}
	return 0
}

// PartRunning reports whether ref names a running map attempt's part:
// Task is a task absorbed into the attempt's task, N the attempt's
// number, and the attempt was handed that part (its worker reads the
// part's input under this name).
func (s *Scheduler) PartRunning(ref protocol.Attempt) bool {
	if ref.Kind != protocol.MapTask || ref.Task < 0 || ref.Task >= len(s.maps) {
		return false
	}
	u := s.maps[ref.Task]
	t := u.absorbedBy
	if t == nil {
		return false
	}
	a := s.running(protocol.Attempt{WorkerID: ref.WorkerID, Kind: protocol.MapTask, Task: t.index, N: ref.N})
	if a == nil {
		return false
	}
	for i, p := range t.parts[:a.parts] {
		if p == u {
			return i < a.parts
		}
	}
	return false
}

// extends reports whether attempts of map task t ask to extend their
// output before they finish it (GetTaskReply.Extend): those of a task
// that absorbed some, or that may absorb the next (by the tasks' sizes).
// The others map and finish as before, without the round trip.
func (s *Scheduler) extends(t *task) bool {
	return len(t.parts) > 0 || (t.index+1 < len(s.maps) && s.canGrow(t, s.maps[t.index+1]))
}
