// The job as the status page and GET /status show it: a pure view of the
// scheduler at a given now, bounded in size whatever the number of
// tasks: counts per state, then the most telling tasks (failed, running,
// stragglers, the slowest), capped; workers by state; how much work is
// done and the ETA. The throughput over time is the
// coordinator's to add.

package scheduler

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
	p := s.counts()
	st := protocol.Status{Phase: p.Phase, MapsDone: p.MapsDone, Maps: p.Maps, ReducesDone: p.ReducesDone,
		Reduces: p.Reduces, Workers: p.Workers, LiveWorkers: p.LiveWorkers,
		Version: protocol.StatusVersion, App: s.cfg.App, Over: s.over(), Failure: s.failure,
		Started: start, ElapsedMS: now.Sub(start).Milliseconds(), Counters: s.counters()}
	st.MapTasks = s.taskCounts(s.maps, now)
	st.ReduceTasks = s.taskCounts(s.reduces, now)
	st.Tasks = s.taskList(start, now)
	st.WorkerList, st.WorkerCounts = s.workerList(now)
	st.Work = s.work(now, st.WorkerCounts.Working+st.WorkerCounts.Idle > 0)
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
		case taskPending:
			c.Pending++
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
		InputBytes: s.inputSize(t), Attempts: []protocol.AttemptRow{}}
	if (t.kind == protocol.MapTask || s.cfg.MapOnly) && t.index < len(s.cfg.MapInputs) {
		row.Input = s.cfg.MapInputs[t.index]
	}
	if u := t.absorbedBy; u != nil {
		row.AbsorbedBy = protocol.TaskName(u.kind, u.index)
	}
	shown := t.history
	if len(shown) > maxAttemptRows {
		row.AttemptsOmitted = len(shown) - maxAttemptRows
		shown = shown[row.AttemptsOmitted:]
	}
	for _, a := range shown {
		ar := protocol.AttemptRow{ID: a.ID(), Worker: a.worker.id,
			Outcome: outcomeName(a), StartMS: a.start.Sub(start).Milliseconds(),
			DurationMS: a.duration(now).Milliseconds(), Slow: s.attemptSlow(a, now),
			Read: a.read, Written: a.written}
		ar.Progress, ar.ReadSoFar = s.soFar(a)
		row.Attempts = append(row.Attempts, ar)
	}
	return row
}

// inputSize is map task t's input size in bytes; 0 if unknown, or for a
// reduce task.
func (s *Scheduler) inputSize(t *task) int64 {
	if (t.kind == protocol.MapTask || s.cfg.MapOnly) && t.index < len(s.cfg.MapSizes) {
		return s.cfg.MapSizes[t.index]
	}
	return 0
}

// soFar is how far running attempt a got as its worker last said (0
// until it said, or once a ended) and, for a map attempt, the input it
// read so far by that estimate.
func (s *Scheduler) soFar(a *attempt) (float64, int64) {
	if a.outcome != outcomeRunning {
		return 0, 0
	}
	return a.frac, int64(a.frac * float64(s.inputSize(a.task)))
}

// workerList lists dead and excluded workers first, then the others by
// id, earlier ones last; it counts every worker by state.
func (s *Scheduler) workerList(now time.Time) (protocol.WorkerList, protocol.WorkerCounts) {
	list := protocol.WorkerList{Limit: maxWorkerRows, Rows: []protocol.WorkerRow{}}
	var counts protocol.WorkerCounts
	for pass := range 3 {
		for i := 1; i <= s.nextWorker; i++ {
			w := s.workers["w"+strconv.Itoa(i)]
			if w == nil || listPass(workerState(w)) != pass {
				continue
			}
			countState(&counts, workerState(w))
			if len(list.Rows) == maxWorkerRows {
				list.Omitted++
				continue
			}
			list.Rows = append(list.Rows, s.workerRow(w, now))
		}
	}
	return list, counts
}

// workerCounts counts every worker by state, as Status does.
func (s *Scheduler) workerCounts() protocol.WorkerCounts {
	var c protocol.WorkerCounts
	for _, w := range s.workers {
		countState(&c, workerState(w))
	}
	return c
}

// listPass is when a worker in state is listed: troubles first, earlier
// workers last.
func listPass(state string) int {
	switch state {
	case "dead", "excluded":
		return 0
	case "earlier":
		return 2
	}
	return 1
}

// workerState is w's state in the views: the first that applies of
// earlier, excluded, dead, exited, working and idle.
func workerState(w *worker) string {
	switch {
	case w.earlier:
		return "earlier"
	case w.excluded != "":
		return "excluded"
	case w.dead:
		return "dead"
	case w.exitSent:
		return "exited"
	case w.current != nil && w.current.outcome == outcomeRunning:
		return "working"
	}
	return "idle"
}

func countState(c *protocol.WorkerCounts, state string) {
	switch state {
	case "working":
		c.Working++
	case "idle":
		c.Idle++
	case "exited":
		c.Exited++
	case "dead":
		c.Dead++
	case "excluded":
		c.Excluded++
	default:
		c.Earlier++
	}
}

func (s *Scheduler) workerRow(w *worker, now time.Time) protocol.WorkerRow {
	row := protocol.WorkerRow{ID: w.id, Addr: w.addr, State: workerState(w), Dead: w.dead, Pool: w.pool, Jobs: w.jobs,
		Holds: len(w.holds), Excluded: w.excluded, Attempts: len(w.attempts)}
	if !w.lastSeen.IsZero() {
		row.SilentMS = now.Sub(w.lastSeen).Milliseconds()
	}
	if a := w.current; a != nil && a.outcome == outcomeRunning {
		row.Current = a.ID()
		row.Progress, row.ReadSoFar = s.soFar(a)
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

// processed is the input the committed attempts have processed so far:
// bytes (map splits and fetched runs) and records (map input and reduce
// input).
func (s *Scheduler) processed() (bytes, records int64) {
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

// work is how much of the job is done, and the ETA while it runs and
// some worker is live (protocol.Work).
func (s *Scheduler) work(now time.Time, live bool) protocol.Work {
	m := workMeter{}
	mapWeight, reduceWeight, unit := s.weights()
	for _, t := range s.maps {
		m.add(t, mapWeight(t))
	}
	for _, t := range s.reduces {
		m.add(t, reduceWeight)
	}
	w := protocol.Work{Unit: unit, Total: m.total, Done: min(m.done, m.total)}
	if live && !s.over() && s.phase != phaseMerge && m.won && m.ran > 0 && now.After(m.since) {
		left := time.Duration(float64(now.Sub(m.since)) * max(0, m.total-m.done) / m.ran)
		ms := max(0, left.Milliseconds())
		w.ETAMS = &ms
	}
	return w
}

// weights are what a map task and a reduce task weigh in work: bytes of
// input when the map inputs' sizes are known, a reduce task weighing its
// share of the map output (all maps' input times the committed map
// attempts' output per input byte, 1 until one committed); else tasks.
func (s *Scheduler) weights() (mapWeight func(*task) float64, reduceWeight float64, unit string) {
	var in int64
	for _, n := range s.cfg.MapSizes {
		in += n
	}
	if len(s.cfg.MapSizes) != len(s.maps) || in <= 0 {
		return func(*task) float64 { return 1 }, 1, "tasks"
	}
	var read, written int64
	for _, t := range s.maps {
		for _, a := range t.history {
			if a.committed && a.read > 0 { // outputs lost since count too
				read, written = read+a.read, written+a.written
			}
		}
	}
	perByte := 1.0
	if read > 0 {
		perByte = float64(written) / float64(read)
	}
	reduceWeight = float64(in) * perByte / float64(max(1, len(s.reduces)))
	return func(t *task) float64 { return float64(s.inputSize(t)) }, reduceWeight, "bytes"
}

// workMeter adds up tasks' work: all of it, what is done, and what this
// run of the coordinator did (not recovered from a journal) since its
// first attempt started.
type workMeter struct {
	total, done, ran float64
	since            time.Time
	won              bool // an attempt of this run won
}

func (m *workMeter) add(t *task, weight float64) {
	m.total += weight
	for _, a := range t.history {
		if !a.recovered && (m.since.IsZero() || a.start.Before(m.since)) {
			m.since = a.start
		}
	}
	switch {
	case t.absorbedBy != nil && t.absorbedBy.state != taskDone:
		// mapped with its carrier: done when that is
	case t.state == taskDone:
		m.done += weight
		if t.absorbedBy != nil || !t.winner.recovered {
			m.ran += weight
			m.won = true
		}
	case t.state == taskRunning:
		f := 0.0
		for _, a := range t.running {
			f = max(f, min(a.frac, 1))
		}
		m.done += f * weight
		m.ran += f * weight
	}
}
