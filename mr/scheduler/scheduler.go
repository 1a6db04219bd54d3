// The scheduler's state, its constructor, and the inputs of a worker's
// life: registering, leaving, and asking for work.

package scheduler

import (
	"errors"
	"fmt"
	"time"

	"mapreduce/internal/protocol"
)

var (
	// ErrWrongApp refuses a worker whose app differs from the job's.
	ErrWrongApp = errors.New("mr: worker runs a different app than the job")
	// errTooManyWorkers refuses a registration past the job's limit.
	errTooManyWorkers = errors.New("mr: the job has registered as many workers as it accepts")
)

// Config is a job as the scheduler sees it. Zero durations and counts are
// not defaulted here: the coordinator passes its own, validated.
type Config struct {
	NMap, NReduce     int
	MapInputs         []string      // each map task's input, for messages and views; may be nil
	MapSizes          []int64       // each map task's input size in bytes, for the views and the ETA; may be nil
	HeartbeatTimeout  time.Duration // no heartbeat for this long: the worker is dead
	TaskTimeout       time.Duration // an attempt running this long gets a backup
	BackupAfter       time.Duration // at a phase's end, an attempt running this long may get a backup
	MaxFailures       int           // app failures of one task that fail the job
	MaxWorkerFailures int           // the worker's own failures in a row that exclude it
	MaxLostOutputs    int           // map outputs of one worker lost to fetch failures that exclude it
	App               string        // the job's app; "" until the first worker names it
	MaxWorkers        int           // registrations accepted over the job's life
	WaitWorkers       int           // hand out nothing until this many workers have registered
	// MapOnly is a map-only job: NMap is 0 and each reduce task reads the
	// split MapInputs names (its attempts map, their output is the job's).
	MapOnly bool
	// ReduceBatch is the most reduce tasks one assignment may carry
	// (batch.go); 0 or 1 hands them out one by one.
	ReduceBatch int
	// AbsorbBytes, if positive, lets a map task absorb idle ones up to
	// this many bytes of input in all (absorb.go), each of its own input
	// at least AbsorbMin bytes, as the task itself; MapSizes must be set.
	AbsorbBytes, AbsorbMin int64

	// Locality: the job's inputs by name, each map task's
	// home (the input giving it the most bytes; -1 for none) and every
	// input it reads. NoCopy says the coordinator holds no copy of the
	// inputs (a manifest job): a task goes only to a worker that can read
	// it, and an input no live worker holds for HolderWait fails the job.
	InputNames []string
	MapHome    []int
	MapReads   [][]int
	NoCopy     bool
	HolderWait time.Duration
}

type task struct {
	kind       protocol.TaskKind
	index      int
	state      taskState
	running    []*attempt // at most two: the original and one backup
	winner     *attempt   // the committed attempt, while state is done
	history    []*attempt // every attempt, in assignment order (since the last restart)
	lastN      int        // the highest attempt number used, before a restart too
	pending    *recovered // while state is taskPending: the committed attempt the journal names
	failures   int        // the app's failures
	streak     int        // the app's failures on its input since an attempt last got past it (absorb.go)
	finishes   int        // the app's failures finishing a map output (Combine), not on one input
	queued     bool       // in the idle queue
	idleAt     time.Time  // when it last went back to idle
	backup     bool       // in the backup queue
	parts      []*task    // map tasks it absorbed, in the order its attempts map them
	absorbedBy *task      // the map task that absorbed it: its output is empty
}

type attempt struct {
	task      *task
	n         int // 1, 2, ... per task
	worker    *worker
	start     time.Time
	progress  time.Time // last sign of progress; a stalled reducer is not slow
	end       time.Time
	outcome   outcome
	committed bool                     // a map attempt whose output was accepted (it won)
	parts     int                      // a map attempt's parts handed out: its task's parts[:parts]
	share     int                      // the tasks of the batch it was assigned in; 0 alone
	read      int64                    // bytes of input (map) or run files (reduce) read
	written   int64                    // bytes written
	counters  *protocol.Counters       // what it counted, once it won
	recovered bool                     // it won before a restart: the journal says so
	frac      float64                  // how far it got (0 to 1) as its worker last said; 0 unknown
	fracAt    time.Time                // when frac last changed
	backedUp  bool                     // a backup of it was started: it gets no other
	lostBy    map[string]*fetchReports // committed map output: who could not fetch it, by host
	fetchErr  int                      // fetch failures reported against it, all reducers
	confirm   confirmation             // committed map output: what its owner said of it
	confirmAt time.Time                // when confirm last changed
}

// ID is the attempt's name in every log line: "map-3.a2".
func (a *attempt) ID() string { return protocol.AttemptName(a.task.kind, a.task.index, a.n) }

type worker struct {
	id        string
	addr      string
	host      string    // the host its connection came from (ConnectedFrom), else addr's: evidence counts hosts, not registrations
	joined    time.Time // when it registered
	reduceWon time.Time // when a reduce attempt of its last won: it had fetched every map output
	wins      int       // attempts it won
	lastSeen  time.Time
	dead      bool
	exitSent  bool
	current   *attempt              // the attempt it was last given (a batch's first)
	batch     []*attempt            // the rest of the batch current was given in, if any
	sending   []*attempt            // reduce attempts whose outputs it still uploads as it runs the next (Committing)
	owned     map[int]*task         // done map tasks whose output lives only here
	attempts  []*attempt            // every attempt it was given
	excluded  string                // why it was excluded from the job; "" while it takes part
	failRun   int                   // its own failures since its last win
	lost      int                   // its map outputs re-run because reducers could not fetch them
	drop      []int                 // map tasks whose output it holds and nobody needs: for its next heartbeat
	verify    []protocol.MapAttempt // outputs it is asked whether it holds: for its next heartbeat
	earlier   bool                  // it registered with the coordinator before a restart (dead since)
	pool      bool                  // a pool member
	jobs      int                   // jobs it served before this one
	holds     map[int]bool          // the inputs it holds (Hold)
	differ    []string              // inputs whose copy it found to differ (Holding.Differs)
	local     localQueue            // idle map tasks whose home it holds
}

// Scheduler is one job's state machine. It is not safe for concurrent
// use: its owner serializes calls (the coordinator, under its lock).
type Scheduler struct {
	cfg         Config
	maps        []*task
	reduces     []*task
	idle        [2]taskQueue          // idle[0] maps, idle[1] reduces
	backups     []*task               // running tasks that were slow: candidates for a backup attempt
	deadlines   deadlineHeap          // running attempts by when they become slow
	inflight    map[*attempt]struct{} // every running attempt
	wonTime     [2]time.Duration      // total duration of won attempts, maps and reduces
	wonCount    [2]int
	workers     map[string]*worker
	nextWorker  int
	mapsDone    int
	reducesDone int
	phase       phase
	spread      bool   // some map task may absorb the next (absorb.go): spreadMap picks new map attempts
	failure     string // why the job failed, in phaseFailed
	events      []Event
	allOut      time.Time              // since when every worker that joined is excluded; zero if not
	allOutWhy   string                 // the last exclusion's reason, for the failure
	srcVersion  int                    // grows whenever a map output appears or moves
	srcCache    *protocol.SourcesReply // the map outputs' locations at srcCache.Version
	pendingMaps int                    // maps in taskPending
	started     bool                   // WaitWorkers have joined: tasks are handed out
	in          inputs                 // where the inputs are, and who holds them
}

// New makes the scheduler of a job, every map task idle (every reduce
// task too, when there are no maps).
func New(cfg Config) *Scheduler {
	s := &Scheduler{cfg: cfg, workers: make(map[string]*worker), inflight: make(map[*attempt]struct{})}
	s.maps = makeTasks(protocol.MapTask, cfg.NMap)
	s.reduces = makeTasks(protocol.ReduceTask, cfg.NReduce)
	s.in = newInputs(cfg, s.maps)
	s.spread = s.mayAbsorb()
	for _, t := range s.maps {
		s.enqueue(t, time.Time{})
	}
	if cfg.NMap == 0 {
		s.phase = phaseReduce
		for _, t := range s.reduces {
			s.enqueue(t, time.Time{})
		}
	}
	return s
}

func makeTasks(kind protocol.TaskKind, n int) []*task {
	ts := make([]*task, n)
	for i := range ts {
		ts[i] = &task{kind: kind, index: i}
	}
	return ts
}

// Job is where the job stands: what a caller needs on every call, in
// constant time. Progress and Status count more.
type Job struct {
	App     string // the job's app; "" until the first worker registered
	Over    bool   // done or failed: nothing changes any more
	Failed  bool   // the job failed: Failure says why
	Failure string // the one line the coordinator exits with
}

// Job is where the job stands.
func (s *Scheduler) Job() Job {
	return Job{App: s.cfg.App, Over: s.over(), Failed: s.phase == phaseFailed, Failure: s.failure}
}

// Registration is what a registering worker says of itself, and where
// its connection came from.
type Registration struct {
	App  string // its app, which must be the job's
	Addr string // where it serves its run files; checked by the caller
	// Host is the host its connection came from: evidence against an
	// owner counts hosts, and a peer cannot pick this one as it picks the
	// address it advertises. "" counts it as Addr's host.
	Host string
	Pool bool // a pool member, which served Jobs jobs before this one (for the views)
	Jobs int
}

// Register adds a worker and returns its id ("w1", "w2", ...). A worker
// of another app, or one past Config.MaxWorkers, is refused.
func (s *Scheduler) Register(r Registration, now time.Time) (string, error) {
	if s.cfg.App == "" {
		s.cfg.App = r.App
	}
	if r.App != s.cfg.App {
		return "", fmt.Errorf("%w: worker at %s runs %q, the job runs %q", ErrWrongApp, r.Addr, r.App, s.cfg.App)
	}
	if s.cfg.MaxWorkers > 0 && s.nextWorker >= s.cfg.MaxWorkers {
		return "", fmt.Errorf("%w (%d)", errTooManyWorkers, s.cfg.MaxWorkers)
	}
	s.nextWorker++
	host, _, err := protocol.SplitAddr(r.Addr)
	if err != nil {
		host = r.Addr
	}
	if r.Host != "" {
		host = r.Host
	}
	w := &worker{id: fmt.Sprintf("w%d", s.nextWorker), addr: r.Addr, host: host, joined: now, lastSeen: now,
		owned: make(map[int]*task)}
	if r.Pool {
		w.pool, w.jobs = true, r.Jobs
	}
	s.workers[w.id] = w
	s.note(WorkerJoined, nil, w, "addr", r.Addr)
	return w.id, nil
}

// Leave declares worker id gone at once, uncharged, for why: it left
// (stopped by a signal), or its registration could not be completed. Its
// running attempt and the outputs it held are redone.
func (s *Scheduler) Leave(id, why string, now time.Time) {
	if w := s.workers[id]; w != nil && !w.dead {
		s.kill(w, now, why)
	}
}

// live returns the worker with this id if it is registered, not dead
// and not excluded.
func (s *Scheduler) live(id string) *worker {
	w := s.workers[id]
	if w == nil || w.dead || w.excluded != "" {
		return nil
	}
	return w
}

func (s *Scheduler) toldToExit(w *worker) {
	if !w.exitSent {
		w.exitSent = true
		s.note(WorkerToldToExit, nil, w)
	}
}

// over reports whether the job is done or failed: nothing changes any more.
func (s *Scheduler) over() bool { return s.phase == phaseDone || s.phase == phaseFailed }

// Ask is how a worker asks for its next attempt.
type Ask uint8

const (
	// AskIdle is a worker's GetTask: it is idle, so an attempt it still
	// holds is abandoned. It may be told to wait, exit or register again.
	AskIdle Ask = iota
	// AskAfterReport rides on an accepted report's reply: an attempt if
	// an idle task waits for one, else a wait that changes nothing.
	AskAfterReport
	// AskAfterRepeat rides on the reply to a report sent again, whose
	// first reply was lost: the attempt that one handed out, if it still
	// runs, else as AskAfterReport.
	AskAfterRepeat
)

// Assign hands worker id its next attempt, or tells it to wait or exit.
// The reply lacks only a map attempt's inputs, which the coordinator owns.
func (s *Scheduler) Assign(id string, ask Ask, now time.Time) protocol.GetTaskReply {
	if ask == AskAfterRepeat {
		if reply, ok := s.current(id); ok {
			return reply
		}
	}
	if ask != AskIdle && !s.idleWork() {
		return protocol.GetTaskReply{Action: protocol.ActWait, NMap: len(s.maps), NReduce: len(s.reduces)}
	}
	return s.assign(id, now)
}

// assign hands the worker its next attempt, or tells it to wait or exit.
// A worker asks only when idle, so an attempt it still holds is abandoned.
func (s *Scheduler) assign(id string, now time.Time) protocol.GetTaskReply {
	reply := protocol.GetTaskReply{Action: protocol.ActWait, NMap: len(s.maps), NReduce: len(s.reduces)}
	w := s.workers[id]
	switch {
	case w == nil || w.dead:
		reply.Action = protocol.ActReregister
		return reply
	case w.excluded != "":
		s.toldToExit(w)
		reply.Action, reply.Reason = protocol.ActExit, excludedReason(w)
		return reply
	case s.over():
		w.lastSeen = now
		s.toldToExit(w)
		reply.Action, reply.Reason = protocol.ActExit, s.failure
		return reply
	}
	w.lastSeen = now
	s.endBatch(w, outcomeAbandoned, now)
	t := s.nextTask(w, now)
	if t == nil {
		return reply
	}
	idle := t.state == taskIdle
	a := s.startAttempt(t, w, now)
	reply.Task, reply.Attempt = t.index, a.n
	if t.kind == protocol.MapTask {
		reply.Action, reply.Extend = protocol.ActMap, s.extends(t)
	} else {
		reply.Action, reply.SourcesVersion = protocol.ActReduce, s.srcVersion
		if idle { // a backup goes alone
			reply.Batch = s.startBatch(w, s.batchSize(), now)
		}
	}
	return reply
}

// current is the assignment of the attempts worker id is running, if
// any (a batch's still running): a report sent again, whose first answer
// (carrying that assignment) was lost, gets the same one back rather than
// a new one.
func (s *Scheduler) current(id string) (protocol.GetTaskReply, bool) {
	w := s.live(id)
	if w == nil {
		return protocol.GetTaskReply{}, false
	}
	var run []*attempt
	for _, a := range assigned(w) {
		if a != nil && a.outcome == outcomeRunning {
			run = append(run, a)
		}
	}
	if len(run) == 0 {
		return protocol.GetTaskReply{}, false
	}
	a := run[0]
	reply := protocol.GetTaskReply{Action: protocol.ActMap, Task: a.task.index, Attempt: a.n,
		NMap: len(s.maps), NReduce: len(s.reduces), Extend: s.extends(a.task)}
	if a.task.kind == protocol.ReduceTask {
		reply.Action, reply.SourcesVersion = protocol.ActReduce, s.srcVersion
		for _, b := range run[1:] {
			reply.Batch = append(reply.Batch, protocol.BatchTask{Task: b.task.index, Attempt: b.n})
		}
	}
	return reply, true
}

// idleWork reports whether an idle task is waiting to be assigned: then
// assign hands out an attempt rather than a wait.
func (s *Scheduler) idleWork() bool {
	if s.reducesDone == len(s.reduces) || (!s.started && len(s.workers) < s.cfg.WaitWorkers) {
		return false
	}
	return s.idle[0].ready() || (s.mapsDone == len(s.maps) && s.idle[1].ready())
}

// nextTask picks an idle task (maps first), else a slow task to back up,
// else, when nothing else is left, the attempt expected to finish last.
func (s *Scheduler) nextTask(w *worker, now time.Time) *task {
	if s.reducesDone == len(s.reduces) {
		return nil // every reduce is in (some recovered): the maps are not needed
	}
	if !s.started {
		if len(s.workers) < s.cfg.WaitWorkers {
			return nil
		}
		s.started = true
	}
	if t := s.spreadLocal(w); t != nil {
		return t
	}
	if t := s.localTask(w); t != nil {
		return t
	}
	if t := s.spreadMap(w); t != nil {
		return t
	}
	if s.mapsDone == len(s.maps) {
		if t := s.idle[1].pop(); t != nil {
			return t
		}
	}
	if t := s.popBackup(w); t != nil {
		return t
	}
	return s.lateBackup(w, now)
}

func (s *Scheduler) startAttempt(t *task, w *worker, now time.Time) *attempt {
	t.lastN++
	a := &attempt{task: t, n: t.lastN, worker: w, start: now, progress: now}
	if len(t.running) == 1 {
		t.running[0].backedUp = true
	}
	s.inflight[a] = struct{}{}
	t.history = append(t.history, a)
	t.running = append(t.running, a)
	t.state = taskRunning
	w.current = a
	w.attempts = append(w.attempts, a)
	s.deadlines.push(deadline{at: now.Add(s.cfg.TaskTimeout), a: a})
	s.note(TaskAssigned, a, w)
	return a
}

// endAttempt takes a running attempt out of its task; a task left with no
// running attempt and not done goes back to the idle queue.
func (s *Scheduler) endAttempt(a *attempt, o outcome, now time.Time) {
	if a.outcome != outcomeRunning {
		return
	}
	a.outcome, a.end = o, now
	delete(s.inflight, a)
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

func (s *Scheduler) enqueue(t *task, now time.Time) {
	if !t.queued {
		t.idleAt = now
		t.queued = true
		s.idle[t.kind-1].push(t)
	}
	s.queueLocal(t)
}

func (s *Scheduler) setPhase(p phase) {
	s.note(PhaseChanged, nil, nil, "phase", p.String())
	s.phase = p
}
