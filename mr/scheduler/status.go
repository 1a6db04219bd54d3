package scheduler

// The job as the status page and GET /status show it: a pure view of the
// scheduler at a given now, bounded in size whatever the number of
// tasks: counts per state, then the most telling tasks (failed, running,
// stragglers, the slowest), capped. The throughput over time is the
// coordinator's to add.

import (
	"container/heap"
	"strconv"
	"time"

	"mapreduce/internal/protocol"
)

// Bounds of one status.
const (
	maxTaskRows    = 200 // tasks listed
	maxWorkerRows  = 200 // workers listed
	maxAttemptRows = 8   // attempts listed per task, the last ones
)

// Status is the job at now. end is when the job ended (zero while it
// runs): durations stop there. Throughput and Result are the
// coordinator's to fill.
func (s *Scheduler) Status(start, end, now time.Time) protocol.Status {
	if !end.IsZero() {
		now = end
	}
	p := s.Progress()
	st := protocol.Status{Phase: p.Phase, MapsDone: p.MapsDone, Maps: p.Maps, ReducesDone: p.ReducesDone,
		Reduces: p.Reduces, Workers: p.Workers, LiveWorkers: p.LiveWorkers,
		Version: protocol.StatusVersion, App: s.cfg.App, Over: s.Over(), Failure: s.failure,
		Started: start, ElapsedMS: now.Sub(start).Milliseconds(), Counters: s.Counters()}
	st.MapTasks = s.taskCounts(s.maps, now)
	st.ReduceTasks = s.taskCounts(s.reduces, now)
	st.Tasks = s.taskList(start, now)
	st.WorkerList = s.workerList(now)
	return st
}

func (s *Scheduler) taskCounts(tasks []*task, now time.Time) protocol.TaskCounts {
	c := protocol.TaskCounts{Total: len(tasks), Outcomes: map[string]int{}}
	for _, t := range tasks {
		switch t.state {
		case taskIdle:
			c.Idle++
		case taskRunning:
			c.Running++
		case taskDone:
			c.Done++
		}
		if s.taskSlow(t, now) {
			c.Slow++
		}
		c.Attempts += len(t.history)
		for _, a := range t.history {
			c.Outcomes[outcomeName(a)]++
		}
	}
	return c
}

// outcomeName is how an attempt ended, telling a winner whose output was
// lost from an attempt that lost to another.
func outcomeName(a *attempt) string {
	if a.outcome == outcomeLost && a.committed {
		return "output lost"
	}
	return a.outcome.String()
}

// duration is how long a ran: until it ended, or until now.
func (a *attempt) duration(now time.Time) time.Duration {
	if a.end.IsZero() {
		return now.Sub(a.start)
	}
	return a.end.Sub(a.start)
}

func (s *Scheduler) attemptSlow(a *attempt, now time.Time) bool {
	return a.duration(now) > s.cfg.TaskTimeout
}

// taskSlow reports a straggler: a task with an attempt past the task timeout.
func (s *Scheduler) taskSlow(t *task, now time.Time) bool {
	for _, a := range t.history {
		if s.attemptSlow(a, now) {
			return true
		}
	}
	return false
}

func taskFailed(t *task) bool {
	for _, a := range t.history {
		if a.outcome == outcomeFailed || a.outcome == outcomeDied {
			return true
		}
	}
	return false
}

// taskRank orders tasks for the list, most telling first: failed, running
// (longest first), stragglers, done (slowest first), idle.
type taskRank struct {
	class int
	dur   time.Duration
	t     *task
}

func (s *Scheduler) rank(t *task, now time.Time) taskRank {
	r := taskRank{t: t}
	for _, a := range t.history {
		r.dur = max(r.dur, a.duration(now))
	}
	switch {
	case taskFailed(t):
		r.class = 0
	case t.state == taskRunning:
		r.class = 1
	case s.taskSlow(t, now):
		r.class = 2
	case t.state == taskDone:
		r.class = 3
	default:
		r.class = 4
	}
	return r
}

// before reports whether r is listed before o.
func (r taskRank) before(o taskRank) bool {
	if r.class != o.class {
		return r.class < o.class
	}
	if r.dur != o.dur {
		return r.dur > o.dur
	}
	if r.t.kind != o.t.kind {
		return r.t.kind < o.t.kind
	}
	return r.t.index < o.t.index
}

// worstFirst is a heap of the best ranks found so far, the worst on top.
type worstFirst []taskRank

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return h[j].before(h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(taskRank)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// taskList picks the maxTaskRows most telling tasks, in O(tasks) time and
// O(maxTaskRows) memory.
func (s *Scheduler) taskList(start, now time.Time) protocol.TaskList {
	h := make(worstFirst, 0, maxTaskRows+1)
	for _, tasks := range [][]*task{s.maps, s.reduces} {
		for _, t := range tasks {
			r := s.rank(t, now)
			if len(h) == maxTaskRows && !r.before(h[0]) {
				continue
			}
			heap.Push(&h, r)
			if len(h) > maxTaskRows {
				heap.Pop(&h)
			}
		}
	}
	list := protocol.TaskList{Limit: maxTaskRows, Omitted: len(s.maps) + len(s.reduces) - len(h),
		Rows: make([]protocol.TaskRow, len(h))}
	for i := len(h) - 1; i >= 0; i-- {
		list.Rows[i] = s.taskRow(heap.Pop(&h).(taskRank).t, start, now)
	}
	return list
}

func (s *Scheduler) taskRow(t *task, start, now time.Time) protocol.TaskRow {
	row := protocol.TaskRow{Task: protocol.TaskName(t.kind, t.index), State: t.state.String(),
		Slow: s.taskSlow(t, now), Failed: taskFailed(t), Recovered: t.winner != nil && t.winner.recovered,
		Attempts: []protocol.AttemptRow{}}
	shown := t.history
	if len(shown) > maxAttemptRows {
		row.AttemptsOmitted = len(shown) - maxAttemptRows
		shown = shown[row.AttemptsOmitted:]
	}
	for _, a := range shown {
		row.Attempts = append(row.Attempts, protocol.AttemptRow{ID: a.ID(), Worker: a.worker.id,
			Outcome: outcomeName(a), StartMS: a.start.Sub(start).Milliseconds(),
			DurationMS: a.duration(now).Milliseconds(), Slow: s.attemptSlow(a, now),
			Read: a.read, Written: a.written})
	}
	return row
}

// workerList lists dead workers first, then the others, by id.
func (s *Scheduler) workerList(now time.Time) protocol.WorkerList {
	list := protocol.WorkerList{Limit: maxWorkerRows, Rows: []protocol.WorkerRow{}}
	for _, dead := range []bool{true, false} {
		for i := 1; i <= s.nextWorker; i++ {
			w := s.workers["w"+strconv.Itoa(i)]
			if w == nil || w.dead != dead {
				continue
			}
			if len(list.Rows) == maxWorkerRows {
				list.Omitted++
				continue
			}
			list.Rows = append(list.Rows, workerRow(w, now))
		}
	}
	return list
}

func workerRow(w *worker, now time.Time) protocol.WorkerRow {
	row := protocol.WorkerRow{ID: w.id, Addr: w.addr, Dead: w.dead, Pool: w.pool, Jobs: w.jobs, SilentMS: now.Sub(w.lastSeen).Milliseconds(),
		Attempts: len(w.attempts), State: "idle"}
	if a := w.current; a != nil && a.outcome == outcomeRunning {
		row.State, row.Current = "working", a.ID()
	}
	switch {
	case w.earlier:
		row.State = "earlier"
	case w.dead:
		row.State = "dead"
	case w.exitSent:
		row.State = "exited"
	}
	for _, a := range w.attempts {
		switch a.outcome {
		case outcomeWon:
			row.Won++
		case outcomeFailed, outcomeDied:
			row.Failed++
		}
		if a.task.kind == protocol.MapTask {
			row.ReadBytes += a.read
		} else {
			row.FetchedBytes += a.read
		}
		row.WrittenBytes += a.written
	}
	return row
}

// Work is the input the committed attempts have processed so far: bytes
// (map splits and fetched runs) and records (map input and reduce input).
func (s *Scheduler) Work() (bytes, records int64) {
	for _, tasks := range [][]*task{s.maps, s.reduces} {
		for _, t := range tasks {
			if a := t.winner; a != nil {
				bytes += a.read
				if a.counters != nil {
					records += a.counters.MapInputRecords + a.counters.ReduceInputRecords
				}
			}
		}
	}
	return bytes, records
}
