// config.go: a worker's configuration, its documented defaults, and
// their checks.

package worker

import (
	"cmp"
	"errors"
	"fmt"
	"net"

	"log/slog"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// Config configures a worker. A zero field means its default, as
// DefaultConfig has it.
type Config struct {
	Coordinator string // the coordinator's host:port
	Dir         string // private directory for run files; "" makes a temp dir removed on Close
	Listen      string // address of the run-file server
	Advertise   string // host or host:port peers use to reach this worker; "" uses the address that reached the coordinator
	// Data is a directory holding copies of some of the job's inputs
	// under their names in the job's manifest ("" for none): map tasks
	// read them there, checked block by block, and peers read them from
	// this worker's run-file server (data.go).
	Data string
	// data is Data as a pool keeps it from job to job, so that a copy
	// found to differ is remembered across jobs; nil: New opens Data.
	data *dataDir

	// App is the app's name, which every worker of the job must share (a
	// plugin's file name without .so: "wc"), and Executor runs its code:
	// an *executor.Child for a plugin in a process of its own, or
	// executor.InProcess. Both are required.
	App      string
	Executor executor.Executor
	// Build is the app's build, the SHA-256 of its plugin file in hex (""
	// if the app is no plugin): the coordinator refuses a worker running
	// another build of the job's app.
	Build string
	// WholeFiles says the app needs each input whole (its plugin exports
	// WholeFiles = true): a job that cut an input into splits refuses
	// the worker at registration, rather than computing a wrong answer.
	WholeFiles bool
	// streams says the worker runs a streaming job's commands, which its
	// coordinator names (a pool worker: Pool sets it): a worker without
	// it refuses a streaming job. streamFiles are the job's shipped files
	// on this machine, by name; Build must then be the job's
	// (protocol.Stream.Build).
	streams     bool
	streamFiles map[string]string
	// pool and jobsBefore say, at registration, that the worker is a pool
	// member (Pool sets them) that served jobsBefore jobs before this one.
	pool       bool
	jobsBefore int

	LostAfter       time.Duration // coordinator unreachable this long: give up
	WaitCoordinator time.Duration // before the coordinator first answers, wait this long for it
	DialTimeout     time.Duration // connecting to the coordinator or a peer, handshake included
	RPCTimeout      time.Duration // one RPC; a long poll gets the coordinator's long-poll interval on top
	FetchTimeout    time.Duration // one HTTP transfer (split, run file, upload) takes at most this plus 1 s per MiB
	StallTimeout    time.Duration // a peer that sends nothing this long mid-request is given up on
	FetchRetries    int           // tries per run file (and per upload) before giving up on it
	FetchParallel   int           // concurrent fetches of one reducer
	MapBuffer       int64         // map output held in memory before spilling to disk, bytes
	// inlineReduce is the largest reduce output sent in its report rather
	// than uploaded (protocol.MaxInlineReduce, which bounds it; tests set
	// it negative: every output is uploaded).
	inlineReduce int64
	LimitMemory  bool // limit the app's Go heap (GOMEMLIMIT) to what the job needs: split size + MapBuffer + 16 MiB
	mergeFanIn   int  // runs merged at once by a reducer (64); more take several passes (tests set 2)
	MaxConns     int  // connections to the run-file server open at once

	// AppMemoryLimit kills the app's process (an *executor.Child) when its
	// resident memory passes this many bytes; 0 is 2 GiB plus four times
	// the split size.
	AppMemoryLimit int64

	// Secret is the job secret, the same as the coordinator's; nil means none.
	Secret []byte

	// Faults are failures to inject, for tests; none by default.
	Faults Faults
	Logger *slog.Logger // default slog.Default()
}

// DefaultConfig is the worker's configuration with every default filled
// in (but App and Executor, which have none).
func DefaultConfig() Config {
	return Config{
		Coordinator:     protocol.DefaultAddr,
		Listen:          ":0",
		LostAfter:       3 * time.Second,
		WaitCoordinator: time.Minute,
		DialTimeout:     2 * time.Second,
		RPCTimeout:      2 * time.Second,
		FetchTimeout:    60 * time.Second,
		StallTimeout:    5 * time.Second,
		FetchRetries:    3,
		FetchParallel:   4,
		MapBuffer:       16 << 20,
		inlineReduce:    protocol.MaxInlineReduce,
		mergeFanIn:      64,
		MaxConns:        1024,
	}
}

func (c Config) withDefaults() (Config, error) {
	if c.Executor == nil {
		return c, errors.New("mr: a worker needs an executor for the app's code")
	}
	if err := protocol.CheckAppName(c.App); err != nil {
		return c, err
	}
	d := DefaultConfig()
	orDefault(&c.Coordinator, d.Coordinator)
	if err := checkHostPort("coordinator", c.Coordinator, "10.0.0.1:1234"); err != nil {
		return c, err
	}
	orDefault(&c.Listen, d.Listen)
	orDefault(&c.LostAfter, d.LostAfter)
	orDefault(&c.WaitCoordinator, d.WaitCoordinator)
	orDefault(&c.DialTimeout, d.DialTimeout)
	orDefault(&c.RPCTimeout, d.RPCTimeout)
	orDefault(&c.FetchTimeout, d.FetchTimeout)
	orDefault(&c.StallTimeout, d.StallTimeout)
	orDefault(&c.FetchRetries, d.FetchRetries)
	orDefault(&c.FetchParallel, d.FetchParallel)
	orDefault(&c.MapBuffer, d.MapBuffer)
	if c.inlineReduce == 0 {
		c.inlineReduce = d.inlineReduce
	}
	c.inlineReduce = min(c.inlineReduce, protocol.MaxInlineReduce)
	orDefault(&c.MaxConns, d.MaxConns)
	if c.mergeFanIn < 2 {
		c.mergeFanIn = d.mergeFanIn
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

// checkHostPort refuses an address without a port, at once, saying what
// to give instead.
func checkHostPort(what, addr, example string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		if err == nil {
			err = errors.New("missing port")
		}
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return fmt.Errorf("mr: %s address %q: %v: give host:port, as in %s (COORDINATOR_HOST too)", what, addr, err, example)
	}
	return nil
}
