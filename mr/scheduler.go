package mr

// The scheduler is the coordinator's brain as a plain value: tasks,
// attempts, owners and workers, with no goroutines, sockets, files or
// clock. Every method that depends on time takes now; the coordinator's
// RPC handlers lock, call and copy, and two tickers drive expiry. Tests
// move now by hand.

import (
	"container/heap"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrWrongApp refuses a worker whose app differs from the job's.
	ErrWrongApp = errors.New("mr: worker runs a different app than the job")
)

type schedConfig struct {
	nMap, nReduce    int
	heartbeatTimeout time.Duration // no heartbeat for this long: the worker is dead
	taskTimeout      time.Duration // an attempt running this long gets a backup
	maxFailures      int           // app failures of one task that fail the job
	app              string        // the job's app; "" until the first worker names it
}

type task struct {
	kind     TaskKind
	index    int
	state    taskState
	running  []*attempt // at most two: the original and one backup
	winner   *attempt   // the committed attempt, while state is done
	history  []*attempt // every attempt, in assignment order
	failures int
	queued   bool      // in the idle queue
	idleAt   time.Time // when it last went back to idle
	backup   bool      // in the backup queue
}

type attempt struct {
	task     *task
	n        int // 1, 2, ... per task
	worker   *worker
	start    time.Time
	progress time.Time // last sign of progress; a stalled reducer is not slow
	end      time.Time
	outcome  Outcome
	runs     []RunInfo // a map attempt's output, once reported
	read     int64     // bytes of input (map) or run files (reduce) read
	written  int64     // bytes written
}

// ID is the attempt's name in every log line: "map-3.a2".
func (a *attempt) ID() string {
	return fmt.Sprintf("%s-%d.a%d", a.task.kind, a.task.index, a.n)
}

type worker struct {
	id       string
	addr     string
	lastSeen time.Time
	dead     bool
	exitSent bool
	current  *attempt      // the attempt it was last given
	owned    map[int]*task // done map tasks whose output lives only here
	attempts []*attempt    // every attempt it was given
}

// assignment is the scheduler's answer to a request for work.
type assignment struct {
	action Action
	a      *attempt
}

type scheduler struct {
	cfg         schedConfig
	maps        []*task
	reduces     []*task
	idle        [2]taskQueue // idle[0] maps, idle[1] reduces
	backups     []*task      // running tasks that were slow: candidates for a backup attempt
	deadlines   deadlineHeap // running attempts by when they become slow
	workers     map[string]*worker
	nextWorker  int
	mapsDone    int
	reducesDone int
	phase       Phase
	failure     string // why the job failed, in PhaseFailed
	events      []Event
}

// Event is one thing that happened, for the coordinator to log: a
// constant message, the attempt and worker it concerns, and more
// key/value pairs.
type Event struct {
	Msg     string
	Attempt string
	Worker  string
	Args    []any
}

func newScheduler(cfg schedConfig) *scheduler {
	s := &scheduler{cfg: cfg, workers: make(map[string]*worker)}
	s.maps = makeTasks(MapTask, cfg.nMap)
	s.reduces = makeTasks(ReduceTask, cfg.nReduce)
	for _, t := range s.maps {
		s.enqueue(t, time.Time{})
	}
	if cfg.nMap == 0 {
		s.phase = PhaseReduce
		for _, t := range s.reduces {
			s.enqueue(t, time.Time{})
		}
	}
	return s
}

func makeTasks(kind TaskKind, n int) []*task {
	ts := make([]*task, n)
	for i := range ts {
		ts[i] = &task{kind: kind, index: i}
	}
	return ts
}

func (s *scheduler) note(msg string, a *attempt, w *worker, args ...any) {
	e := Event{Msg: msg, Args: args}
	if a != nil {
		e.Attempt = a.ID()
	}
	if w != nil {
		e.Worker = w.id
	}
	s.events = append(s.events, e)
}

// takeEvents returns what happened since the last call.
func (s *scheduler) takeEvents() []Event {
	ev := s.events
	s.events = nil
	return ev
}

// register adds a worker serving its run files at addr.
func (s *scheduler) register(app, addr string, now time.Time) (*worker, error) {
	if s.cfg.app == "" {
		s.cfg.app = app
	}
	if app != s.cfg.app {
		return nil, fmt.Errorf("%w: worker at %s runs %q, the job runs %q", ErrWrongApp, addr, app, s.cfg.app)
	}
	s.nextWorker++
	w := &worker{id: fmt.Sprintf("w%d", s.nextWorker), addr: addr, lastSeen: now, owned: make(map[int]*task)}
	s.workers[w.id] = w
	s.note("worker joined", nil, w, "addr", addr)
	return w, nil
}

// live returns the worker with this id if it is registered and not dead.
func (s *scheduler) live(id string) *worker {
	w := s.workers[id]
	if w == nil || w.dead {
		return nil
	}
	return w
}

// heartbeat records that a worker is alive and tells it whether to go on.
func (s *scheduler) heartbeat(id string, now time.Time) Action {
	w := s.live(id)
	if w == nil {
		return ActReregister
	}
	w.lastSeen = now
	if s.over() {
		s.toldToExit(w)
		return ActExit
	}
	return ActWait
}

func (s *scheduler) toldToExit(w *worker) {
	if !w.exitSent {
		w.exitSent = true
		s.note("worker told to exit", nil, w)
	}
}

func (s *scheduler) over() bool { return s.phase == PhaseDone || s.phase == PhaseFailed }

// assign hands the worker its next attempt, or tells it to wait or exit.
// A worker asks only when idle, so an attempt it still holds is abandoned.
func (s *scheduler) assign(id string, now time.Time) assignment {
	w := s.live(id)
	if w == nil {
		return assignment{action: ActReregister}
	}
	w.lastSeen = now
	if s.over() {
		s.toldToExit(w)
		return assignment{action: ActExit}
	}
	if a := w.current; a != nil && a.outcome == OutcomeRunning {
		s.note("attempt abandoned", a, w)
		s.endAttempt(a, OutcomeAbandoned, now)
	}
	t := s.nextTask(w)
	if t == nil {
		return assignment{action: ActWait}
	}
	a := s.startAttempt(t, w, now)
	if t.kind == MapTask {
		return assignment{action: ActMap, a: a}
	}
	return assignment{action: ActReduce, a: a}
}

// nextTask picks an idle task (maps first), else a slow task to back up.
func (s *scheduler) nextTask(w *worker) *task {
	if t := s.idle[0].pop(); t != nil {
		return t
	}
	if s.mapsDone == len(s.maps) {
		if t := s.idle[1].pop(); t != nil {
			return t
		}
	}
	return s.popBackup(w)
}

// popBackup returns a slow task that w is not already running, dropping
// queue entries that no longer need a backup.
func (s *scheduler) popBackup(w *worker) *task {
	for i := 0; i < len(s.backups); i++ {
		t := s.backups[i]
		if t.state != taskRunning || len(t.running) != 1 {
			t.backup = false
			s.backups = append(s.backups[:i], s.backups[i+1:]...)
			i--
			continue
		}
		if t.running[0].worker == w || (t.kind == ReduceTask && s.mapsDone < len(s.maps)) {
			continue
		}
		t.backup = false
		s.backups = append(s.backups[:i], s.backups[i+1:]...)
		return t
	}
	return nil
}

func (s *scheduler) startAttempt(t *task, w *worker, now time.Time) *attempt {
	a := &attempt{task: t, n: len(t.history) + 1, worker: w, start: now, progress: now}
	t.history = append(t.history, a)
	t.running = append(t.running, a)
	t.state = taskRunning
	w.current = a
	w.attempts = append(w.attempts, a)
	heap.Push(&s.deadlines, deadline{at: now.Add(s.cfg.taskTimeout), a: a})
	s.note("task assigned", a, w)
	return a
}

// endAttempt takes a running attempt out of its task; a task left with no
// running attempt and not done goes back to the idle queue.
func (s *scheduler) endAttempt(a *attempt, o Outcome, now time.Time) {
	if a.outcome != OutcomeRunning {
		return
	}
	a.outcome, a.end = o, now
	t := a.task
	for i, r := range t.running {
		if r == a {
			t.running = append(t.running[:i], t.running[i+1:]...)
			break
		}
	}
	if len(t.running) == 0 && t.state == taskRunning {
		t.state = taskIdle
		s.enqueue(t, now)
	}
}

func (s *scheduler) enqueue(t *task, now time.Time) {
	if !t.queued {
		t.idleAt = now
		t.queued = true
		s.idle[t.kind-1].push(t)
	}
}

// running returns the attempt if it is still running for a live worker
// with this id, or nil: every report passes through here, which is what
// fences stale ones.
func (s *scheduler) running(id string, kind TaskKind, index, n int) *attempt {
	w := s.live(id)
	tasks := s.maps
	if kind == ReduceTask {
		tasks = s.reduces
	}
	if w == nil || index < 0 || index >= len(tasks) || n < 1 || n > len(tasks[index].history) {
		return nil
	}
	a := tasks[index].history[n-1]
	if a.worker != w || a.outcome != OutcomeRunning {
		return nil
	}
	return a
}

// mapDone commits a map attempt's output if it is the first valid report.
func (s *scheduler) mapDone(args *ReportMapArgs, now time.Time) bool {
	a := s.running(args.WorkerID, MapTask, args.Task, args.Attempt)
	if a == nil || len(args.Runs) != s.cfg.nReduce {
		s.staleReport(args.WorkerID, MapTask, args.Task, args.Attempt)
		return false
	}
	a.worker.lastSeen = now
	a.runs, a.read = args.Runs, args.Read
	for _, r := range args.Runs {
		a.written += r.Size
	}
	s.win(a, now)
	a.worker.owned[a.task.index] = a.task
	s.mapsDone++
	if s.mapsDone == len(s.maps) && s.phase == PhaseMap {
		s.setPhase(PhaseReduce)
		for _, t := range s.reduces {
			if t.state == taskIdle {
				s.enqueue(t, now)
			}
		}
	}
	return true
}

// reduceDone commits a reduce attempt whose output the coordinator holds.
func (s *scheduler) reduceDone(id string, index, n int, read, written int64, now time.Time) bool {
	a := s.running(id, ReduceTask, index, n)
	if a == nil {
		s.staleReport(id, ReduceTask, index, n)
		return false
	}
	a.worker.lastSeen = now
	a.read, a.written = read, written
	s.win(a, now)
	s.reducesDone++
	if s.reducesDone == len(s.reduces) {
		s.setPhase(PhaseMerge)
	}
	return true
}

// win marks a the task's committed attempt; any other running attempt of
// the task has lost.
func (s *scheduler) win(a *attempt, now time.Time) {
	t := a.task
	t.state, t.winner = taskDone, a
	s.endAttempt(a, OutcomeWon, now)
	for len(t.running) > 0 {
		s.note("attempt superseded", t.running[0], t.running[0].worker, "winner", a.ID())
		s.endAttempt(t.running[0], OutcomeLost, now)
	}
	s.note("task done", a, a.worker)
}

func (s *scheduler) staleReport(id string, kind TaskKind, index, n int) {
	s.events = append(s.events, Event{Msg: "stale report ignored", Worker: id,
		Attempt: fmt.Sprintf("%s-%d.a%d", kind, index, n)})
	if w := s.live(id); w != nil && w.current != nil && w.current.outcome != OutcomeRunning {
		w.current = nil
	}
}

func (s *scheduler) setPhase(p Phase) {
	s.note("phase changed", nil, nil, "phase", p.String())
	s.phase = p
}

// failed records an attempt that failed in the app. The job fails when
// one task has failed maxFailures times.
func (s *scheduler) failed(args *ReportFailureArgs, now time.Time) bool {
	a := s.running(args.WorkerID, args.Kind, args.Task, args.Attempt)
	if a == nil {
		s.staleReport(args.WorkerID, args.Kind, args.Task, args.Attempt)
		return false
	}
	a.worker.lastSeen = now
	a.task.failures++
	s.note("attempt failed", a, a.worker, "err", args.Err)
	s.endAttempt(a, OutcomeFailed, now)
	if a.task.failures >= s.cfg.maxFailures && !s.over() {
		s.failure = fmt.Sprintf("%s failed %d times, last: %s", a.ID(), a.task.failures, args.Err)
		s.setPhase(PhaseFailed)
	}
	return true
}

// locate answers a reducer that needs map task m's output. When failed
// names the committed attempt, the reducer could not fetch it: an owner
// that has also stopped heartbeating is declared dead, else just task m
// is re-run. Reports naming an older attempt are answered, not believed.
func (s *scheduler) locate(args *LocateArgs, now time.Time) LocateReply {
	r := s.running(args.WorkerID, ReduceTask, args.Reduce, args.Attempt)
	if r == nil || args.Map < 0 || args.Map >= len(s.maps) {
		return LocateReply{Abort: true}
	}
	r.worker.lastSeen = now
	t := s.maps[args.Map]
	if t.state == taskDone && args.Failed != 0 && t.winner.n == args.Failed {
		s.lostOutput(t, r, now)
	}
	if t.state == taskIdle && now.Sub(t.idleAt) > s.cfg.heartbeatTimeout/2 {
		// Nobody else is free to re-run it: give up this attempt so that
		// its worker can. The reduce task runs again once the maps are done.
		s.note("attempt gives way", r, r.worker, "waiting_for", fmt.Sprintf("map-%d", t.index))
		s.endAttempt(r, OutcomeAbandoned, now)
		return LocateReply{Abort: true}
	}
	if t.state != taskDone {
		return LocateReply{}
	}
	r.progress = now
	return LocateReply{Ready: true, Source: s.source(t, args.Reduce)}
}

// lostOutput handles a reducer's word that map task t's output is gone.
func (s *scheduler) lostOutput(t *task, by *attempt, now time.Time) {
	owner := t.winner.worker
	s.note("fetch failure reported", t.winner, owner, "by", by.ID())
	if now.Sub(owner.lastSeen) > s.cfg.heartbeatTimeout/4 {
		s.kill(owner, now, "unreachable and silent")
		return
	}
	s.rerunMap(t, now)
}

// rerunMap sends a done map task back to idle: its output is lost.
func (s *scheduler) rerunMap(t *task, now time.Time) {
	w := t.winner.worker
	delete(w.owned, t.index)
	t.winner.outcome, t.winner.end = OutcomeLost, now
	s.note("map output lost", t.winner, w)
	t.winner, t.state = nil, taskIdle
	s.mapsDone--
	s.enqueue(t, now)
	if s.phase == PhaseReduce {
		s.setPhase(PhaseMap)
	}
}

// source tells reduce task r where map task t's committed output is.
func (s *scheduler) source(t *task, r int) MapSource {
	a := t.winner
	return MapSource{Map: t.index, Attempt: a.n, Addr: a.worker.addr, Size: a.runs[r].Size, CRC: a.runs[r].CRC}
}

// sources lists every map task's committed output for reduce task r.
func (s *scheduler) sources(r int) []MapSource {
	out := make([]MapSource, len(s.maps))
	for i, t := range s.maps {
		out[i] = s.source(t, r)
	}
	return out
}

// expireWorkers declares dead every worker silent for the heartbeat timeout.
func (s *scheduler) expireWorkers(now time.Time) {
	for _, w := range s.workers {
		if !w.dead && now.Sub(w.lastSeen) > s.cfg.heartbeatTimeout {
			s.kill(w, now, "no heartbeat")
		}
	}
}

// kill declares w dead: its running attempt ends, and the map outputs it
// holds are re-run while some reduce may still need them.
func (s *scheduler) kill(w *worker, now time.Time, why string) {
	w.dead = true
	s.note("worker died", nil, w, "why", why)
	if a := w.current; a != nil && a.outcome == OutcomeRunning {
		s.endAttempt(a, OutcomeDied, now)
	}
	if s.reducesDone == len(s.reduces) {
		return
	}
	for _, t := range w.owned {
		s.rerunMap(t, now)
	}
}

// expireSlow queues for backup every task whose only attempt has run
// longer than the task timeout.
func (s *scheduler) expireSlow(now time.Time) {
	for s.deadlines.Len() > 0 && !s.deadlines[0].at.After(now) {
		d := heap.Pop(&s.deadlines).(deadline)
		a := d.a
		if a.outcome != OutcomeRunning {
			continue
		}
		due := a.progress.Add(s.cfg.taskTimeout)
		if a.task.kind == ReduceTask && s.mapsDone < len(s.maps) {
			due = now.Add(s.cfg.taskTimeout) // waiting for maps is not slowness
		}
		if due.After(now) {
			heap.Push(&s.deadlines, deadline{at: due, a: a})
			continue
		}
		if t := a.task; len(t.running) == 1 && !t.backup {
			t.backup = true
			s.backups = append(s.backups, t)
			s.note("task slow", a, a.worker, "running", now.Sub(a.start).Round(time.Millisecond).String())
		}
	}
}

// finish marks the final output written: workers are told to exit.
func (s *scheduler) finish() { s.setPhase(PhaseDone) }

// allExited reports whether every live worker has been told to exit.
func (s *scheduler) allExited() bool {
	for _, w := range s.workers {
		if !w.dead && !w.exitSent {
			return false
		}
	}
	return true
}

// Progress counts done tasks.
type Progress struct {
	Phase                Phase
	MapsDone, Maps       int
	ReducesDone, Reduces int
	Workers, LiveWorkers int
}

func (p Progress) String() string {
	return fmt.Sprintf("map %d/%d done, reduce %d/%d", p.MapsDone, p.Maps, p.ReducesDone, p.Reduces)
}

func (s *scheduler) progress() Progress {
	p := Progress{Phase: s.phase, MapsDone: s.mapsDone, Maps: len(s.maps),
		ReducesDone: s.reducesDone, Reduces: len(s.reduces), Workers: len(s.workers)}
	for _, w := range s.workers {
		if !w.dead {
			p.LiveWorkers++
		}
	}
	return p
}
