// coordinator.go: the Coordinator, New and its steps, Run, the tickers
// and the scheduler's events.

package coordinator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/mr/scheduler"
)

// Coordinator runs one job: it hands out tasks over net/rpc, serves input
// splits and receives reduce outputs over HTTP, all on one TCP port, and
// writes mr-out-Y and mr-<app>-all.
type Coordinator struct {
	// The job, fixed once New returns.
	cfg   Config
	log   *slog.Logger
	tasks [][]protocol.Split    // each map task's input
	files map[string]input.File // the input files as the job first saw them, by Split.File
	in    *jobInputs            // the inputs by content, and whether the coordinator holds them
	cut   string                // an input the job cut into several splits; "" if none
	model model                 // parameters, map-only, total order
	job   string                // the job's id: the journal's, or made at start
	start time.Time             // when the job started: New, or the journal's first start

	// Each concern's state, under the lock its type's comment names.
	front front      // the listener, who may come in, the RPC connections
	dirs  outDirs    // -out's lock, the temp and work directories
	up    uploads    // reduce outputs being received, and those committed
	ship  shipping   // the app, shipped to pool workers, and its build
	jr    journaling // the journal, and what earlier runs left
	life  lifecycle  // running, over, stopping, and the goroutines Run started
	final *appender  // a concatenated job's final output, written as outputs commit; nil otherwise

	// mu guards sched, sessions, changed and status; the comments of
	// life, jr, ship and model name what else it guards. It is taken
	// before front.mu and up.mu, never while holding them.
	mu       sync.Mutex
	sched    *scheduler.Scheduler
	sessions sessions
	changed  chan struct{} // closed and replaced whenever the scheduler changes
	status   statusState
	// readAhead marks the map tasks whose splits were read ahead
	// (nextSplit), each once; made at the first.
	readAhead []bool
}

// undo is what New made, to be undone, last first, if it fails.
type undo []func()

func (u *undo) add(f func()) { *u = append(*u, f) }

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// New checks the inputs (files, or folders of files), cuts them into
// map tasks and starts listening. It fails on missing or unreadable
// inputs and on an address it cannot listen on, before any worker can
// join.
func New(cfg Config, args []string) (_ *Coordinator, err error) {
	var u undo
	defer func() {
		if err != nil {
			u.run()
		}
	}()
	if cfg, err = cfg.withDefaults(); err != nil {
		return nil, err
	}
	inputs, err := listInputs(cfg, args)
	if err != nil {
		return nil, err
	}
	c, err := newCoordinator(cfg, inputs)
	if err != nil {
		return nil, err
	}
	if err := c.takeOut(inputs, &u); err != nil {
		return nil, err
	}
	if err := c.listen(&u); err != nil {
		return nil, err
	}
	app, err := c.journaledApp()
	if err != nil {
		return nil, err
	}
	c.sched = c.newScheduler(app)
	keep := removeStaleOutputs(cfg.OutDir, inputs, c.jr.journal, cfg.Logger)
	if c.model.concatenated() {
		c.final = newAppender(c.cfg.OutDir, c.finalPath, c.cfg.NReduce)
	}
	if c.jr.journal != nil {
		if err := c.resume(keep); err != nil {
			return nil, err
		}
	}
	c.front.http = c.newServer()
	return c, nil
}

// finalPath is the path of mr-<app>-all.
func (c *Coordinator) finalPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return filepath.Join(c.cfg.OutDir, finalName(c.sched.Job().App))
}

// listInputs lists the job's input files, and warns of entries skipped.
func listInputs(cfg Config, args []string) ([]string, error) {
	inputs, notes, err := expandArgs(cfg, args)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		cfg.Logger.Warn("input entries skipped", "note", n)
	}
	return inputs, nil
}

// newCoordinator is the coordinator of the job cfg describes over
// inputs: its app read, its inputs cut into map tasks, its model's
// sample taken. It holds nothing yet: no lock, journal or listener.
func newCoordinator(cfg Config, inputs []string) (*Coordinator, error) {
	ship, err := readApp(&cfg)
	if err != nil {
		return nil, err
	}
	tasks, files, in, err := planJob(cfg, inputs)
	if err != nil {
		return nil, err
	}
	if cfg.MapOnly {
		cfg.NReduce = len(tasks) // one output per map task
	}
	model, err := newModel(cfg, tasks)
	if err != nil {
		return nil, err
	}
	model.stream = ship.stream
	return &Coordinator{cfg: cfg, log: cfg.Logger, tasks: tasks, files: files, in: in, cut: cutInput(tasks),
		model: model, job: newJobID(), start: time.Now(), ship: ship, life: newLifecycle(),
		front: newFront(cfg), up: newUploads(), changed: make(chan struct{}), sessions: make(sessions)}, nil
}

// takeOut makes and locks -out and opens the journal, if the job keeps
// one.
func (c *Coordinator) takeOut(inputs []string, u *undo) error {
	if err := os.MkdirAll(c.cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("mr: output directory: %w", err)
	}
	lock, err := lockOut(c.cfg.OutDir)
	if err != nil {
		return err
	}
	u.add(lock.release)
	c.dirs.lock = lock
	if !c.cfg.Journal {
		return nil
	}
	jr, err := openJournal(c.cfg, inputs, c.tasks)
	if err != nil {
		return err
	}
	u.add(func() { jr.log.Close() })
	c.jr.journal = jr
	return jr.finished(c.cfg.OutDir)
}

// listen starts listening on Config.Addr, and says so in -out's lock.
func (c *Coordinator) listen(u *undo) error {
	ln, err := netx.Listen(c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mr: %w%s", err, busyHint(err))
	}
	u.add(func() { ln.Close() })
	c.dirs.lock.note(ln.Addr().String())
	c.front.ln = netx.NewListener(ln, netx.Config{MaxConns: c.cfg.MaxConns,
		Refused: func(host, why string) { c.front.refused(host, why, nil) }})
	return nil
}

// journaledApp is the app the job runs: a resumed job's is its
// journal's, with its build, and a plugin of another build is refused.
func (c *Coordinator) journaledApp() (string, error) {
	jr, build := c.jr.journal, c.ship.build
	if jr == nil || jr.app.Name == "" {
		return c.cfg.App, nil
	}
	if build != "" && jr.app.Build != "" && build != jr.app.Build {
		return "", fmt.Errorf("mr: %s holds the journal of another job: the app was built %.12s, %s is %.12s "+
			"(remove the journal, or use another -out)", jr.path, jr.app.Build, c.cfg.AppPlugin, build)
	}
	c.ship.build = cmp.Or(jr.app.Build, build)
	return jr.app.Name, nil
}

// newScheduler is the job's scheduler, running app.
func (c *Coordinator) newScheduler(app string) *scheduler.Scheduler {
	cfg, tasks := c.cfg, c.tasks
	descs, sizes := make([]string, len(tasks)), make([]int64, len(tasks))
	for i, t := range tasks {
		descs[i], sizes[i] = taskInput(t, c.files), taskSize(t)
	}
	nMap := len(tasks)
	if cfg.MapOnly {
		nMap = 0 // the reduce tasks map, one per split
	}
	homes, reads := c.in.homes(tasks, c.files)
	return scheduler.New(scheduler.Config{NMap: nMap, NReduce: cfg.NReduce, App: app, MapOnly: cfg.MapOnly,
		MapInputs: descs, MapSizes: sizes, InputNames: c.in.names, MapHome: homes, MapReads: reads,
		NoCopy: !c.in.own, HolderWait: cfg.HolderWait, HeartbeatTimeout: cfg.HeartbeatTimeout, TaskTimeout: cfg.TaskTimeout,
		BackupAfter: cfg.BackupAfter, MaxFailures: cfg.maxFailures, MaxWorkerFailures: cfg.MaxWorkerFailures,
		MaxLostOutputs: cfg.MaxLostOutputs, MaxWorkers: cfg.MaxWorkers, WaitWorkers: cfg.WaitWorkers,
		ReduceBatch: cfg.reduceBatch, AbsorbBytes: c.absorbBytes(), AbsorbMin: cfg.SplitSize / 2})
}

// absorbBytes is the scheduler's AbsorbBytes: none in a job whose
// journal records one map output per task, or whose map runs commands
// (their output is not kept open between inputs), or with -absorb-size 1.
// Only tasks of at least half the split size absorb or are absorbed
// (scheduler.Config.AbsorbMin).
func (c *Coordinator) absorbBytes() int64 {
	if c.cfg.Journal || c.cfg.Stream != nil || c.cfg.AbsorbSize <= 1 {
		return 0
	}
	return c.cfg.AbsorbSize
}

// newServer is the HTTP server of the coordinator's port.
func (c *Coordinator) newServer() *http.Server {
	return &http.Server{Handler: c.mux(), ReadHeaderTimeout: 5 * time.Second, ConnContext: netx.ConnContext,
		IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10,
		ErrorLog: slog.NewLogLogger(c.cfg.Logger.Handler(), slog.LevelDebug)}
}

// Addr is the address the coordinator listens on.
func (c *Coordinator) Addr() string { return c.front.addr() }

// Run serves until the job is over (or ctx ends), gives workers a moment
// to hear Exit, then shuts down. It returns nil when mr-out-* and
// mr-<app>-all are complete, else why the job did not finish.
func (c *Coordinator) Run(ctx context.Context) error {
	if err := c.dirs.mkdirs(c.cfg, c.jr.journal); err != nil {
		c.front.ln.Close()
		return err
	}
	c.log.Info("coordinator listening", "addr", c.Addr(), "maps", len(c.tasks), "inputs", len(c.files), "reduces", c.cfg.NReduce,
		"secret", c.front.keys != nil)
	c.warnInsecure()
	c.announce()
	c.life.wg.Go(func() {
		if err := c.front.http.Serve(c.front.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.fail(fmt.Errorf("mr: serving: %w", err))
		}
	})
	c.life.wg.Go(c.tick)
	c.life.wg.Go(c.describeInputs)
	c.mergeIfAllIn()
	select {
	case <-c.life.done:
		c.waitForExits()
	case <-ctx.Done():
		c.stopped(fmt.Errorf("%w: %w", errStopped, context.Cause(ctx)))
	}
	c.mu.Lock()
	sum := c.summaryLocked(time.Now())
	err := c.life.err
	c.mu.Unlock()
	c.report(sum)
	c.endJournal(err)
	c.finalProgress()
	c.linger(ctx)
	c.shutdown()
	if err == nil {
		c.log.Info("job done", "out", c.cfg.OutDir, "app", sum.App)
	}
	return err
}

// warnInsecure warns of a job without a secret that others could join,
// or whose app it ships.
func (c *Coordinator) warnInsecure() {
	if c.front.keys != nil {
		return
	}
	if !netx.IsLoopback(c.Addr()) {
		c.log.Warn("no job secret: any host that reaches " + c.Addr() + " can join this job, read its inputs and " +
			"write its outputs; set MR_SECRET (or -secret-file) to the same secret on the coordinator and every worker")
	}
	if c.ship.ships() {
		c.log.Warn("shipping the app without a job secret: only pool workers started with -insecure-accept-code run it, " +
			"and they run the code of any local user's coordinator as well; set MR_SECRET (or -secret-file) on both")
	}
}

// report writes the job summary and logs its gist.
func (c *Coordinator) report(sum protocol.Summary) {
	name, err := writeSummary(c.cfg.OutDir, sum)
	if err != nil {
		c.log.Error("summary not written", "err", err)
	}
	c.mu.Lock()
	c.status.summary = name
	c.broadcastLocked()
	c.mu.Unlock()
	c.log.Info("job summary", "file", name, "phase", sum.Phase, "elapsed", sum.Elapsed,
		"maps", sum.Maps, "map_attempts", sum.MapAttempts, "reduces", sum.Reduces,
		"reduce_attempts", sum.ReduceAttempts, "workers", len(sum.Workers), countersAttr(&sum.Counters))
}

// tick drives time: the heartbeat monitor, the rescheduler of slow tasks
// and the status: throughput samples and progress reports.
func (c *Coordinator) tick() {
	monitor := time.NewTicker(max(c.cfg.HeartbeatTimeout/8, 10*time.Millisecond))
	slow := time.NewTicker(max(c.cfg.TaskTimeout/10, 10*time.Millisecond))
	progress := time.NewTicker(c.statusEvery())
	defer monitor.Stop()
	defer slow.Stop()
	defer progress.Stop()
	for {
		select {
		case <-c.life.stop:
			return
		case <-monitor.C:
			c.update(func(s *scheduler.Scheduler, now time.Time) { s.Tick(now) })
		case <-slow.C:
			c.update(func(s *scheduler.Scheduler, now time.Time) { s.Tick(now) })
		case <-progress.C:
			c.statusTick(time.Now())
		}
	}
}

// update applies f to the scheduler under the lock, wakes long polls if
// anything happened, and logs what did after unlocking.
func (c *Coordinator) update(f func(s *scheduler.Scheduler, now time.Time)) {
	c.mu.Lock()
	f(c.sched, time.Now())
	events := c.changedLocked()
	c.mu.Unlock()
	c.logEvents(events)
}

// changedLocked takes the scheduler's events, wakes long polls if there
// are any, and ends the job if the scheduler failed it.
func (c *Coordinator) changedLocked() []scheduler.Event {
	events := c.sched.TakeEvents()
	if len(events) > 0 {
		c.broadcastLocked()
	}
	if job := c.sched.Job(); job.Failed && c.life.err == nil {
		c.life.failLocked(fmt.Errorf("mr: job failed: %s", job.Failure))
	}
	return events
}

// broadcastLocked wakes everyone waiting on c.changed.
func (c *Coordinator) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Coordinator) logEvents(events []scheduler.Event) {
	for _, e := range events {
		args := make([]any, 0, 4+len(e.Args))
		if e.Attempt != "" {
			args = append(args, "attempt", e.Attempt)
		}
		if e.Worker != "" {
			args = append(args, "worker", e.Worker)
		}
		c.log.Info(e.Kind.String(), append(args, e.Args...)...)
	}
}
