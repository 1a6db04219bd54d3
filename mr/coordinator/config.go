// config.go: the coordinator's configuration, its defaults and their
// checks.

package coordinator

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// Config configures a coordinator. A zero field means its default, as
// DefaultConfig has it.
type Config struct {
	Addr    string // host:port to listen on; "127.0.0.1:0" picks a free port
	NReduce int    // reduce tasks
	OutDir  string // where mr-out-* and mr-<app>-all go
	App     string // the app every worker must run; "" learns it from the first worker
	// AppPlugin is the app's plugin, which the coordinator ships to pool
	// workers (mrworker without a plugin); it names the app too.
	AppPlugin string
	SplitSize int64 // inputs larger than this are cut into several map tasks
	// SmallFile and PackSize: consecutive inputs smaller than SmallFile
	// (0: SplitSize) share map tasks of up to PackSize bytes (0:
	// SplitSize; 1: never), so that tasks are sized by bytes, not files.
	SmallFile int64
	PackSize  int64
	// AbsorbSize: a map attempt that has mapped its input asks for more,
	// and its task absorbs the next map task, for good, if that is idle
	// and never ran, while its input stays within AbsorbSize bytes (0:
	// 4 × SplitSize; 1: never), so that a worker writes one map output
	// where it wrote one per task (scheduler/absorb.go). Only tasks of at
	// least half the split size absorb or are absorbed, and not in a
	// journaled or streaming job.
	AbsorbSize int64
	// WholeFiles: never cut an input into splits (the app needs each
	// whole); also set when AppPlugin exports WholeFiles = true.
	WholeFiles bool
	// Binary: accept inputs that are not text (a NUL byte in their first
	// 4 KiB), which are otherwise refused.
	Binary bool

	// Params are the job's parameters, which the app reads with
	// mr.Param: at most protocol.MaxParams, part of the job's identity.
	Params map[string]string
	// MapOnly makes a map-only job (mrcoordinator -nreduce 0): no
	// shuffle and no reduce; each map task's records, in the order Map
	// emitted them, are its output mr-out-X, and mr-<app>-all is their
	// concatenation in input order. NReduce is ignored.
	MapOnly bool
	// TotalOrder samples the keys before the map phase and sends them to
	// the reduce tasks by ranges, so that mr-out-0 .. mr-out-(R-1) hold
	// increasing, disjoint ranges of keys and mr-<app>-all is their
	// concatenation. The sample runs the app's Map over a few splits in
	// the coordinator's process: it needs AppPlugin to load.
	TotalOrder bool
	// sampler is the app whose Map the total-order sample runs, when a
	// test gives it as a Go value; nil loads AppPlugin.
	sampler *mr.App

	// Stream makes a streaming job: its Map, Combine and Reduce are these
	// commands (Hadoop Streaming's contract, executor/stream.go), run by
	// pool workers only, and StreamFiles are the files it ships to them,
	// which the commands find by name in their working directory. App
	// names the job ("stream" if empty); AppPlugin must be empty.
	Stream      *protocol.Stream
	StreamFiles []string

	// Manifest plans the job from a manifest (bin/mrmanifest) instead of
	// inputs the coordinator holds: the workers' -data directories hold
	// them. blockSize is the block of the checksums the coordinator
	// computes of inputs it holds (manifest.DefaultBlockSize; tests set a
	// smaller one).
	// HolderWait is how long a manifest job waits for a worker holding an
	// input nobody live holds before it fails, naming it.
	Manifest   string
	blockSize  int64
	HolderWait time.Duration

	HeartbeatTimeout  time.Duration // a worker silent this long is dead
	TaskTimeout       time.Duration // an attempt running this long gets a backup
	BackupAfter       time.Duration // at a phase's end, a straggler running this long may get a backup; 0: TaskTimeout/2
	maxFailures       int           // the app's failures of one task that fail the job (tests lower it)
	AttemptLimit      time.Duration // an attempt's app code making no progress this long is killed
	MaxWorkerFailures int           // a worker's own failures in a row (no win between) that exclude it
	MaxLostOutputs    int           // a worker's map outputs reducers could not fetch that exclude it
	longPoll          time.Duration // how long GetTask and Locate wait for news before answering (tests shorten it)
	exitGrace         time.Duration // after the job, how long to wait for workers to hear Exit (tests shorten it)
	progressEvery     time.Duration // period of the progress log line
	MaxUpload         int64         // largest reduce output accepted, bytes
	MaxWorkers        int           // registrations accepted over the job's life
	WaitWorkers       int           // hand out no task until this many workers have joined (0: start with the first)
	MaxConns          int           // connections open at once; more are closed at once
	reduceBatch       int           // most reduce tasks one assignment carries (1 to protocol.MaxReduceBatch; 0: the most; tests set it)
	partitionSeed     *uint64       // the seed of the keys' hash, if not the job id's (tests compare two jobs' outputs file by file)

	// Secret is the job secret, the same on every host; nil means none.
	// With it, every connection and request is authenticated (see
	// internal/protocol). It is never sent or logged.
	Secret []byte
	// SecretFile is where Secret came from, if from a file: for the hint
	// of how to start a worker, which never prints the secret.
	SecretFile string

	// Journal keeps the job's journal in OutDir (mr-job.journal), so that
	// the coordinator, killed, can be run again with the same command and
	// resume the job; its workers then wait up to RestartWindow for it.
	Journal       bool
	RestartWindow time.Duration

	Linger    time.Duration     // after the job, keep serving the status page this long (0: exit at once)
	HintAfter time.Duration     // with no worker this long after start, log the command that starts one
	Progress  func(line string) // if set, called with a one-line progress report twice a second, instead of the progress log line

	Logger *slog.Logger // default slog.Default()
}

// appFailureLimit is how many app failures of one task fail the job. An
// app that crashes at random must not fail a job that a retry would
// finish: in the classic crash test each Map or Reduce call exits with
// probability 1/3, and 12 tasks make calls (8 maps, and the 4 reduce tasks
// that hold a key), each with at most about two attempts running at once
// (a backup). The job fails if some task fails 12 times before it
// succeeds: at most 12 tasks x 2 x (1/3)^12 = 4.5e-5 per run, under 1e-4.
// A deterministic poison input costs 12 quick attempts before the job
// fails with a line naming it.
const appFailureLimit = 12

// heartbeatEvery is how often a worker heartbeats
// (RegisterReply.HeartbeatEvery): eight times per HeartbeatTimeout, so
// that a worker is declared dead only after missing eight in a row, and
// at least every 500 ms (the default timeout of 4 s gives that), as
// heartbeats also carry the attempt's progress and the coordinator's
// answers (drop or verify outputs, exit).
func heartbeatEvery(timeout time.Duration) time.Duration {
	return min(timeout/8, 500*time.Millisecond)
}

// DefaultConfig is the coordinator's configuration with every default
// filled in, but BackupAfter, which follows TaskTimeout.
func DefaultConfig() Config {
	return Config{
		Addr:              protocol.DefaultAddr,
		NReduce:           10,
		OutDir:            ".",
		SplitSize:         input.DefaultSplit,
		HeartbeatTimeout:  4 * time.Second,
		TaskTimeout:       10 * time.Second,
		maxFailures:       appFailureLimit,
		MaxWorkerFailures: 3,
		MaxLostOutputs:    3,
		AttemptLimit:      10 * time.Minute,
		longPoll:          time.Second,
		exitGrace:         2 * time.Second,
		progressEvery:     2 * time.Second,
		MaxUpload:         64 << 30,
		MaxWorkers:        10000,
		MaxConns:          2048,
		HintAfter:         5 * time.Second,
		RestartWindow:     2 * time.Minute,
		blockSize:         manifest.DefaultBlockSize,
		HolderWait:        30 * time.Second,
	}
}

func (c Config) withDefaults() (Config, error) {
	if err := checkStream(c); err != nil {
		return c, err
	}
	switch {
	case c.NReduce < 0:
		return c, fmt.Errorf("mr: nReduce %d must be positive", c.NReduce)
	case c.MapOnly && c.TotalOrder:
		return c, errors.New("mr: -total-order with -nreduce 0: a map-only job has no reduce tasks to put in order")
	case c.TotalOrder && c.sampler == nil && c.AppPlugin == "":
		return c, errors.New("mr: -total-order needs the app's plugin (-app path/app.so): the coordinator samples the keys by running its Map")
	case c.AbsorbSize < 0:
		return c, fmt.Errorf("mr: absorb size %d must be positive (1: never)", c.AbsorbSize)
	case c.SplitSize < 0 || c.PackSize < 0:
		return c, fmt.Errorf("mr: split size %d and pack size %d must be positive", c.SplitSize, c.PackSize)
	case c.reduceBatch < 0 || c.reduceBatch > protocol.MaxReduceBatch:
		return c, fmt.Errorf("mr: reduce batch %d: want 1 to %d", c.reduceBatch, protocol.MaxReduceBatch)
	case c.HeartbeatTimeout < 0 || c.TaskTimeout < 0 || c.BackupAfter < 0 || c.longPoll < 0 || c.exitGrace < 0 || c.progressEvery < 0:
		return c, fmt.Errorf("mr: timeouts must be positive")
	}
	if err := protocol.CheckParams(c.Params); err != nil {
		return c, err
	}
	if c.Stream != nil && c.App == "" {
		c.App = "stream"
	}
	d := DefaultConfig()
	orDefault(&c.Addr, d.Addr)
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return c, fmt.Errorf("mr: listen address %q: missing port: give host:port, as in 0.0.0.0:1234 (port 0 picks a free one; -addr or COORDINATOR_HOST)", c.Addr)
	}
	orDefault(&c.NReduce, d.NReduce)
	orDefault(&c.OutDir, d.OutDir)
	orDefault(&c.SplitSize, d.SplitSize)
	orDefault(&c.PackSize, c.SplitSize)
	orDefault(&c.SmallFile, c.SplitSize)
	orDefault(&c.AbsorbSize, 4*c.SplitSize)
	orDefault(&c.HeartbeatTimeout, d.HeartbeatTimeout)
	orDefault(&c.TaskTimeout, d.TaskTimeout)
	orDefault(&c.maxFailures, d.maxFailures)
	orDefault(&c.AttemptLimit, d.AttemptLimit)
	orDefault(&c.MaxWorkerFailures, d.MaxWorkerFailures)
	orDefault(&c.MaxLostOutputs, d.MaxLostOutputs)
	orDefault(&c.BackupAfter, c.TaskTimeout/2)
	orDefault(&c.longPoll, d.longPoll)
	orDefault(&c.exitGrace, d.exitGrace)
	orDefault(&c.progressEvery, d.progressEvery)
	orDefault(&c.MaxUpload, d.MaxUpload)
	orDefault(&c.MaxWorkers, d.MaxWorkers)
	orDefault(&c.MaxConns, d.MaxConns)
	orDefault(&c.reduceBatch, protocol.MaxReduceBatch)
	orDefault(&c.HintAfter, d.HintAfter)
	orDefault(&c.RestartWindow, d.RestartWindow)
	orDefault(&c.blockSize, d.blockSize)
	orDefault(&c.HolderWait, d.HolderWait)
	if c.blockSize < manifest.MinBlockSize || c.blockSize > manifest.MaxBlockSize {
		return c, fmt.Errorf("mr: block size %d: want %d to %d", c.blockSize, manifest.MinBlockSize, manifest.MaxBlockSize)
	}
	if c.Manifest != "" && (c.Journal || c.MapOnly || c.TotalOrder) {
		return c, errors.New("mr: -manifest does not yet work with -journal, -nreduce 0 or -total-order " +
			"(they read the inputs on the coordinator, or name them): run without one of them")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// orDefault sets *p to def when it is zero: empty, or not positive.
func orDefault[T cmp.Ordered](p *T, def T) {
	var zero T
	if *p <= zero {
		*p = def
	}
}

// busyHint is what to do about an address that is in use.
func busyHint(err error) string {
	if errors.Is(err, syscall.EADDRINUSE) {
		return " (another coordinator may run there: give another with -addr host:port, or COORDINATOR_HOST)"
	}
	return ""
}
