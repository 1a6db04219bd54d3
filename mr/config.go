package mr

import (
	"fmt"
	"log/slog"
	"time"
)

// DefaultAddr is where the coordinator listens, and workers look for it,
// when neither a flag nor COORDINATOR_HOST says otherwise.
const DefaultAddr = "127.0.0.1:1234"

// Config configures a coordinator. A zero field means its default.
type Config struct {
	Addr      string // host:port to listen on; "127.0.0.1:0" picks a free port
	NReduce   int    // reduce tasks (default 10)
	OutDir    string // where mr-out-* and mr-<app>-all go (default ".")
	App       string // the app every worker must run; "" learns it from the first worker
	SplitSize int64  // inputs larger than this are cut into several map tasks (default 64 MiB)

	HeartbeatTimeout time.Duration // a worker silent this long is dead (default 4 s)
	TaskTimeout      time.Duration // an attempt running this long gets a backup (default 10 s)
	MaxFailures      int           // app failures of one task that fail the job (default 3)
	LongPoll         time.Duration // how long GetTask waits for work before answering Wait (default 1 s)
	ExitGrace        time.Duration // after the job, how long to wait for workers to hear Exit (default 2 s)
	ProgressEvery    time.Duration // period of the progress log line (default 2 s)
	MaxUpload        int64         // largest reduce output accepted (default 64 GiB)

	Logger *slog.Logger // default slog.Default()
}

func (c Config) withDefaults() (Config, error) {
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.NReduce == 0 {
		c.NReduce = 10
	}
	if c.OutDir == "" {
		c.OutDir = "."
	}
	if c.SplitSize == 0 {
		c.SplitSize = 64 << 20
	}
	def(&c.HeartbeatTimeout, 4*time.Second)
	def(&c.TaskTimeout, 10*time.Second)
	def(&c.LongPoll, time.Second)
	def(&c.ExitGrace, 2*time.Second)
	def(&c.ProgressEvery, 2*time.Second)
	if c.MaxFailures == 0 {
		c.MaxFailures = 3
	}
	if c.MaxUpload == 0 {
		c.MaxUpload = 64 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.NReduce < 0:
		return c, fmt.Errorf("mr: nReduce %d must be positive", c.NReduce)
	case c.SplitSize < 0:
		return c, fmt.Errorf("mr: split size %d must be positive", c.SplitSize)
	case c.HeartbeatTimeout < 0 || c.TaskTimeout < 0 || c.LongPoll < 0 || c.ExitGrace < 0:
		return c, fmt.Errorf("mr: timeouts must be positive")
	}
	return c, nil
}

// WorkerConfig configures a worker. A zero field means its default.
type WorkerConfig struct {
	Coordinator string // the coordinator's host:port (default DefaultAddr)
	Dir         string // private directory for run files; "" makes a temp dir removed on Close
	Listen      string // address of the run-file server (default ":0")
	Advertise   string // host peers use to reach this worker; "" uses the address that reached the coordinator

	HeartbeatInterval time.Duration // default 500 ms
	LostAfter         time.Duration // coordinator unreachable this long: give up (default 3 s)
	RPCTimeout        time.Duration // per-call deadline beyond the long poll (default 2 s)
	FetchTimeout      time.Duration // one HTTP fetch of a split or run file, plus 1 s per MiB (default 60 s)
	StallTimeout      time.Duration // a peer that sends nothing this long mid-request is given up on (default 5 s)
	FetchRetries      int           // tries per run file before asking the coordinator (default 3)
	FetchParallel     int           // concurrent fetches of one reducer (default 4)
	MapBuffer         int64         // map output held in memory before spilling to disk (default 16 MiB)
	LimitMemory       bool          // set the Go heap's soft limit (GOMEMLIMIT) to what the job needs: split size + MapBuffer + 16 MiB
	MergeFanIn        int           // runs merged at once by a reducer; more take several passes (default 64)

	Logger *slog.Logger // default slog.Default()
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	def := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	if c.Coordinator == "" {
		c.Coordinator = DefaultAddr
	}
	if c.Listen == "" {
		c.Listen = ":0"
	}
	def(&c.HeartbeatInterval, 500*time.Millisecond)
	def(&c.LostAfter, 3*time.Second)
	def(&c.RPCTimeout, 2*time.Second)
	def(&c.FetchTimeout, 60*time.Second)
	def(&c.StallTimeout, 5*time.Second)
	if c.FetchRetries <= 0 {
		c.FetchRetries = 3
	}
	if c.FetchParallel <= 0 {
		c.FetchParallel = 4
	}
	if c.MapBuffer <= 0 {
		c.MapBuffer = 16 << 20
	}
	if c.MergeFanIn < 2 {
		c.MergeFanIn = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
