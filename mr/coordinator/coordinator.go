// Package coordinator is the coordinator process of a job: it cuts the
// inputs into splits, listens on one TCP port for net/rpc (workers'
// registrations, heartbeats, task requests and reports) and HTTP (input
// splits, reduce uploads, the status page), drives the scheduler's clock,
// commits each reduce task's first complete upload as mr-out-Y and merges
// them into mr-<app>-all, and writes the job summary.
//
// The decisions are the scheduler's (mr/scheduler): every handler checks
// who is asking (sessions.go), locks, calls the scheduler, copies the
// answer out and unlocks; nothing does I/O under the lock. The files of
// this package, by role: coordinator.go (lifecycle, tickers, events,
// shutdown), rpc.go (the RPC handlers, one set per connection), http.go
// (GET /split, POST /reduce), sessions.go (session keys and who may act
// for whom), split.go (naming map tasks' inputs; internal/input cuts
// them), inputs.go and content.go (inputs where they live: workers that
// hold them, where each piece is read, GET /split, the inputs by
// content), output.go (commits, the final merge, the summary file),
// status.go and throughput.go (the status page, /status and the progress
// line), model.go and sample.go (parameters, map-only jobs, total
// order and its sample of the keys), layout.go (file names), config.go.
package coordinator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/auth"
	"mapreduce/internal/input"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
	"mapreduce/mr/scheduler"
)

// Coordinator runs one job: it hands out tasks over net/rpc, serves input
// splits and receives reduce outputs over HTTP, all on one TCP port, and
// writes mr-out-Y and mr-<app>-all.
type Coordinator struct {
	cfg     Config
	log     *slog.Logger
	tasks   [][]protocol.Split    // each map task's input
	files   map[string]input.File // the input files as the job first saw them, by Split.File
	in      *jobInputs            // the inputs by content, and whether the coordinator holds them
	ln      net.Listener
	http    *http.Server
	keys    *auth.Keys         // nil without a secret
	fresh   *auth.Replay       // nonces of signed requests, for freshness
	refuse  *auth.Limiter      // one log line per refused peer per minute
	workDir string             // reduce outputs in run format, for the final merge
	tmpDir  string             // outputs being written, on -out's file system but in a small directory
	spares  *atomicfile.Spares // files made ahead in tmpDir for the outputs
	journal *jobJournal        // nil unless Config.Journal
	lock    *outLock           // on -out, held until shutdown
	cut     string             // an input the job cut into several splits; "" if none
	model   model              // parameters, map-only, total order (model.go)
	job     string             // the job's id: the journal's, or made at start
	start   time.Time          // when the job started: New
	seq     atomic.Int64       // numbers uploads, so that each has a file of its own
	done    chan struct{}
	stop    chan struct{} // closed when Run returns: ends long polls and tickers
	wg      sync.WaitGroup

	// mu guards sched, sessions, changed, committed, conns, err, finished,
	// status, kept, keptBytes, build, declined, restarts, earlier and stopping, and orders
	// uploads.Add before shutdown's uploads.Wait.
	mu        sync.Mutex
	sched     *scheduler.Scheduler
	sessions  sessions
	changed   chan struct{} // closed and replaced whenever the scheduler changes
	committed int           // reduce outputs renamed into place
	conns     map[net.Conn]struct{}
	err       error // why the job failed
	finished  bool  // done is closed
	status    statusState
	kept      map[int][]byte // committed runs held in memory, by reduce task
	keptBytes int64
	build     string            // the app's build (plugin SHA-256) the job runs; "" until known
	plugin    []byte            // the app's plugin, shipped to pool workers; nil if none (read-only)
	stream    *protocol.Stream  // a streaming job's commands and files; nil for a plugin job (read-only)
	shipped   map[string][]byte // a streaming job's files by SHA-256 (read-only)
	declined  []string          // pool workers that would not run the job, and why (bounded)
	restarts  []protocol.Restart
	earlier   map[string]bool // workers of before a restart, named in the journal; true once back
	stopping  bool            // shutdown began: no new upload starts
	uploads   sync.WaitGroup  // uploads being received or committed
}

// New checks the inputs (files, or folders of files), cuts them into
// map tasks and starts listening. It fails on missing or unreadable
// inputs and on an address it cannot listen on, before any worker can
// join.
func New(cfg Config, args []string) (*Coordinator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	inputs, notes, err := expandArgs(cfg, args)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		cfg.Logger.Warn("input entries skipped", "note", n)
	}
	plugin, build, err := readPlugin(cfg.AppPlugin)
	if err != nil {
		return nil, err
	}
	stream, shipped, err := readStream(cfg)
	if err != nil {
		return nil, err
	}
	if stream != nil {
		build = stream.Build()
	}
	if plugin != nil {
		cfg.App = appName(cfg.AppPlugin)
		if cfg.WholeFiles, err = wantsWholeFiles(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.App != "" {
		if err := protocol.CheckAppName(cfg.App); err != nil {
			return nil, err
		}
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
	model.stream = stream
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("mr: output directory: %w", err)
	}
	lock, err := lockOut(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if lock != nil { // not handed to the coordinator: New failed
			lock.release()
		}
	}()
	var jr *jobJournal
	if cfg.Journal {
		if jr, err = openJournal(cfg, inputs, tasks); err != nil {
			return nil, err
		}
		if err := jr.finished(cfg.OutDir); err != nil {
			jr.log.Close()
			return nil, err
		}
	}
	ln, err := netx.Listen(cfg.Addr)
	if err != nil {
		if jr != nil {
			jr.log.Close()
		}
		return nil, fmt.Errorf("mr: %w%s", err, busyHint(err))
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, tasks: tasks, files: files, in: in, journal: jr, job: newJobID(),
		keys: auth.New(cfg.Secret), fresh: auth.NewReplayQuota(wire.FreshWindow, 1<<20, 1<<17),
		refuse: auth.NewLimiter(time.Minute), start: time.Now(),
		done: make(chan struct{}), stop: make(chan struct{}), changed: make(chan struct{}),
		conns: make(map[net.Conn]struct{}), sessions: make(sessions), kept: make(map[int][]byte), model: model}
	lock.note(ln.Addr().String())
	c.ln = netx.NewListener(ln, netx.Config{MaxConns: cfg.MaxConns,
		Refused: func(host, why string) { c.refused(host, why, nil) }})
	app := cfg.App
	c.plugin, c.build, c.stream, c.shipped = plugin, build, stream, shipped
	if jr != nil && jr.app.Name != "" {
		if build != "" && jr.app.Build != "" && build != jr.app.Build {
			ln.Close()
			jr.log.Close()
			return nil, fmt.Errorf("mr: %s holds the journal of another job: the app was built %.12s, %s is %.12s "+
				"(remove the journal, or use another -out)", jr.path, jr.app.Build, cfg.AppPlugin, build)
		}
		app, c.build = jr.app.Name, cmp.Or(jr.app.Build, build)
	}
	descs, sizes := make([]string, len(tasks)), make([]int64, len(tasks))
	for i, t := range tasks {
		descs[i], sizes[i] = taskInput(t, files), taskSize(t)
		if t[0].Offset > 0 && c.cut == "" {
			c.cut = t[0].File
		}
	}
	nMap := len(tasks)
	if cfg.MapOnly {
		nMap = 0 // the reduce tasks map, one per split
	}
	homes, reads := in.homes(tasks, files)
	c.sched = scheduler.New(scheduler.Config{NMap: nMap, NReduce: cfg.NReduce, App: app, MapOnly: cfg.MapOnly,
		MapInputs: descs, MapSizes: sizes, InputNames: in.names, MapHome: homes, MapReads: reads,
		NoCopy: !in.own, HolderWait: cfg.HolderWait, HeartbeatTimeout: cfg.HeartbeatTimeout, TaskTimeout: cfg.TaskTimeout,
		BackupAfter: cfg.BackupAfter, MaxFailures: cfg.MaxFailures, MaxWorkerFailures: cfg.MaxWorkerFailures,
		MaxLostOutputs: cfg.MaxLostOutputs, MaxWorkers: cfg.MaxWorkers, WaitWorkers: cfg.WaitWorkers,
		ReduceBatch: cfg.ReduceBatch})
	keep := removeStaleOutputs(cfg.OutDir, inputs, jr, cfg.Logger)
	if jr != nil {
		if err := c.resume(keep); err != nil {
			ln.Close()
			jr.log.Close()
			return nil, err
		}
	}
	c.http = &http.Server{Handler: c.mux(), ReadHeaderTimeout: 5 * time.Second, ConnContext: netx.ConnContext,
		IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	c.lock, lock = lock, nil
	return c, nil
}

// Addr is the address the coordinator listens on.
func (c *Coordinator) Addr() string { return c.ln.Addr().String() }

// Done is closed when the job is over, finished or failed.
func (c *Coordinator) Done() <-chan struct{} { return c.done }

// Run serves until the job is over (or ctx ends), gives workers a moment
// to hear Exit, then shuts down. It returns nil when mr-out-* and
// mr-<app>-all are complete, else why the job did not finish.
func (c *Coordinator) Run(ctx context.Context) error {
	if err := c.makeWorkDir(); err != nil {
		c.ln.Close()
		return err
	}
	if err := c.makeTmpDir(); err != nil {
		c.ln.Close()
		return err
	}
	c.log.Info("coordinator listening", "addr", c.Addr(), "maps", len(c.tasks), "inputs", len(c.files), "reduces", c.cfg.NReduce,
		"secret", c.keys != nil)
	if c.keys == nil && !netx.IsLoopback(c.Addr()) {
		c.log.Warn("no job secret: any host that reaches " + c.Addr() + " can join this job, read its inputs and " +
			"write its outputs; set MR_SECRET (or -secret-file) to the same secret on the coordinator and every worker")
	}
	if c.keys == nil && (c.plugin != nil || c.stream != nil) {
		c.log.Warn("shipping the app without a job secret: only pool workers started with -insecure-accept-code run it, " +
			"and they run the code of any local user's coordinator as well; set MR_SECRET (or -secret-file) on both")
	}
	c.announce()
	c.wg.Go(func() {
		if err := c.http.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.fail(fmt.Errorf("mr: serving: %w", err))
		}
	})
	c.wg.Go(c.tick)
	c.wg.Go(c.describeInputs)
	c.mergeIfAllIn()
	select {
	case <-c.done:
		c.waitForExits()
	case <-ctx.Done():
		c.stopped(fmt.Errorf("%w: %w", errStopped, context.Cause(ctx)))
	}
	c.mu.Lock()
	sum := c.summaryLocked(time.Now())
	err := c.err
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
		case <-c.stop:
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

func (c *Coordinator) changedLocked() []scheduler.Event {
	events := c.sched.TakeEvents()
	if len(events) > 0 {
		c.broadcastLocked()
	}
	if job := c.sched.Job(); job.Failed && c.err == nil {
		c.err = fmt.Errorf("mr: job failed: %s", job.Failure)
		c.finishLocked()
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

// refused logs a request or connection refused from peer, at most once
// per peer per minute; the peer's port is not part of what is limited.
func (c *Coordinator) refused(peer, what string, err error) {
	host, _, splitErr := net.SplitHostPort(peer)
	if splitErr != nil {
		host = peer
	}
	if c.refuse.Allow(host, time.Now()) {
		c.log.Warn("refused", "peer", peer, "what", what, "err", err, "note", "further refusals from this host are not logged for a minute")
	}
}

// stopped ends the job because the coordinator was told to stop: the
// workers are not told, they find it gone as if it had died.
func (c *Coordinator) stopped(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return
	}
	c.err = err
	if c.journal != nil {
		c.log.Warn("coordinator stopped; run the same command again to resume the job", "journal", c.journal.path)
	} else {
		c.log.Error("job failed", "err", err)
	}
	c.finishLocked()
}

// errStopped is a job that ended because its coordinator was told to stop.
var errStopped = errors.New("mr: coordinator stopped")

// fail ends the job with err, unless it is already over; workers that
// ask are told it failed, and why.
func (c *Coordinator) fail(err error) {
	c.mu.Lock()
	if !c.finished {
		c.err = err
		c.log.Error("job failed", "err", err)
		if !c.sched.Job().Over {
			c.sched.End(err.Error())
		}
		c.finishLocked()
	}
	events := c.changedLocked()
	c.mu.Unlock()
	c.logEvents(events)
}

func (c *Coordinator) finishLocked() {
	if !c.finished {
		c.finished = true
		c.status.ended = time.Now()
		close(c.done)
	}
}

// waitForExits gives live workers up to ExitGrace to be told to exit and
// to hang up, so they leave cleanly instead of finding us gone. A worker
// closes its connection only after reading the answer, so waiting for
// the connections to close is what makes sure every Exit was delivered.
//
// A resumed job may finish before the workers of its earlier run, which
// wait out the restart window for it, are back: it waits for them too,
// up to twice the heartbeat timeout (they retry every half second), so
// that they hear Exit instead of waiting minutes for a coordinator that
// is gone.
func (c *Coordinator) waitForExits() {
	grace := c.cfg.ExitGrace
	c.mu.Lock()
	if len(c.earlier) > 0 {
		grace = max(grace, 2*c.cfg.HeartbeatTimeout)
	}
	c.mu.Unlock()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		all, ch := c.sched.Progress().AllExited && len(c.conns) == 0 && c.earlierBackLocked(), c.changed
		c.mu.Unlock()
		if all {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			return
		}
	}
}

// earlierBackLocked reports whether every worker of before a restart
// has registered again.
func (c *Coordinator) earlierBackLocked() bool {
	for _, back := range c.earlier {
		if !back {
			return false
		}
	}
	return true
}

// shutdown stops serving and waits for everything in flight, so that
// no temp file is left: uploads (in the work directory, and mr-out-Y's
// temp in -out) end and clean up after themselves, then the work
// directory goes.
func (c *Coordinator) shutdown() {
	defer c.lock.release()
	close(c.stop)
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.http.Shutdown(ctx)
	c.http.Close() // what Shutdown left after a second: reads fail, handlers return
	c.mu.Lock()
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.uploads.Wait() // before wg.Wait: the last commit may start the final merge on wg
	c.wg.Wait()
	if c.spares != nil {
		c.spares.Close()
	}
	os.RemoveAll(c.tmpDir)
	if c.journal == nil {
		os.RemoveAll(c.workDir)
		return
	}
	c.journal.log.Close()
}
