// pool.go: the app a job runs, and pool workers, to which the
// coordinator ships it: mrworker without a plugin waits for whatever
// job appears at its coordinator's address, asks what it runs (Job),
// fetches the app's plugin from the coordinator when it ships one (App,
// over the RPC connection, whose frames carry a MAC under the job
// secret: the bytes are authenticated, and checked against the build's
// SHA-256), and registers as any worker does. A pool worker that cannot
// run the app says why (Decline), once, and waits for the next job.

package coordinator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr/scheduler"
)

// maxPlugin bounds the plugin a coordinator ships.
const maxPlugin = 1 << 30

// maxDeclines bounds the declines a coordinator keeps for its views.
const maxDeclines = 64

// shipping is the app the job runs, which the coordinator ships to pool
// workers if it holds it, and what pool workers said of it.
type shipping struct {
	plugin  []byte            // the app's plugin; nil if none (read-only)
	stream  *protocol.Stream  // a streaming job's commands and files; nil for a plugin job (read-only)
	shipped map[string][]byte // a streaming job's files by SHA-256 (read-only)

	// Coordinator.mu guards build and declined.
	build    string   // the app's build (plugin SHA-256) the job runs; "" until known
	declined []string // pool workers that would not run the job, and why (bounded)
}

// readApp reads the app the job ships, if any: a plugin, which names the
// app and may ask for whole files, or a streaming job's commands and
// files. It checks the app's name.
func readApp(cfg *Config) (shipping, error) {
	plugin, build, err := readPlugin(cfg.AppPlugin)
	if err != nil {
		return shipping{}, err
	}
	stream, shipped, err := readStream(*cfg)
	if err != nil {
		return shipping{}, err
	}
	if stream != nil {
		build = stream.Build()
	}
	if plugin != nil {
		cfg.App = appName(cfg.AppPlugin)
		if cfg.WholeFiles, err = wantsWholeFiles(*cfg); err != nil {
			return shipping{}, err
		}
	}
	if cfg.App != "" {
		if err := protocol.CheckAppName(cfg.App); err != nil {
			return shipping{}, err
		}
	}
	return shipping{plugin: plugin, build: build, stream: stream, shipped: shipped}, nil
}

// ships reports whether the coordinator ships the app's code.
func (sh *shipping) ships() bool { return sh.plugin != nil || sh.stream != nil }

// workerHint is how the hint to start a worker ends for app ("" if not
// known yet): the app's plugin, or how a pool worker gets it.
func (sh *shipping) workerHint(app string, secret bool) string {
	if app == "" {
		app = "APP"
	}
	switch {
	case sh.stream != nil && !secret:
		return " -insecure-accept-code (a pool worker without a secret, which runs any local user's code; this streaming job's commands run there)"
	case sh.stream != nil:
		return " (a pool worker: no plugin; this streaming job's commands run there)"
	case sh.plugin != nil && !secret:
		return " -insecure-accept-code (a pool worker without a secret, which runs any local user's code; this coordinator ships " + app + ")"
	case sh.plugin != nil:
		return " (a pool worker: no plugin; this coordinator ships " + app + ")"
	}
	return " bin/" + app + ".so"
}

// readPlugin reads the plugin the coordinator ships, if any, and its
// build: its SHA-256, hex.
func readPlugin(path string) ([]byte, string, error) {
	if path == "" {
		return nil, "", nil
	}
	st, err := os.Stat(path)
	if err == nil && (!st.Mode().IsRegular() || st.Size() > maxPlugin) {
		err = fmt.Errorf("not a regular file of at most %d bytes", maxPlugin)
	}
	var b []byte
	if err == nil {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("mr: plugin %s: %w", path, unwrapPath(err))
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}

// wantsWholeFiles reports whether the job must not cut its inputs: it
// says so, or the plugin it ships exports WholeFiles = true.
func wantsWholeFiles(cfg Config) (bool, error) {
	whole, err := input.WholeFiles(cfg.AppPlugin)
	return cfg.WholeFiles || whole, err
}

// appName is the app's name for a plugin path: "bin/wc.so" is "wc".
func appName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".so") }

// Job tells a pool worker what job runs here; any connection may ask.
func (r *coordRPC) Job(_ *protocol.JobArgs, reply *protocol.JobInfo) error {
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, job := &c.ship, c.sched.Job()
	*reply = protocol.JobInfo{Job: c.job, App: job.App, Build: sh.build, Ships: sh.plugin != nil,
		Size: int64(len(sh.plugin)), Over: job.Over, Stream: sh.stream}
	return nil
}

// App sends a chunk of the plugin the coordinator ships.
func (r *coordRPC) App(args *protocol.AppArgs, reply *protocol.AppReply) error {
	data, err := r.c.ship.chunk(args)
	reply.Data = data
	return err
}

// chunk is the chunk of the plugin, or of the file shipped with a
// streaming job, that args ask for.
func (sh *shipping) chunk(args *protocol.AppArgs) ([]byte, error) {
	p := sh.plugin
	if args.Sum != "" {
		if p = sh.shipped[args.Sum]; p == nil {
			return nil, fmt.Errorf("mr: this coordinator ships no file of SHA-256 %.12s", args.Sum)
		}
	}
	if p == nil {
		return nil, fmt.Errorf("mr: this coordinator ships no app (start it with -app path/to/app.so)")
	}
	if args.Offset < 0 || args.Offset > int64(len(p)) {
		return nil, fmt.Errorf("mr: no plugin bytes at %d", args.Offset)
	}
	end := min(args.Offset+protocol.MaxAppChunk, int64(len(p)))
	return p[args.Offset:end], nil
}

// Decline notes a pool worker that will not run the job, and why, for
// the log (once per host per minute) and the views.
func (r *coordRPC) Decline(args *protocol.DeclineArgs, _ *protocol.DeclineReply) error {
	c := r.c
	why := protocol.Truncate(args.Reason, protocol.MaxErrText)
	host := protocol.Truncate(args.Addr, 80)
	if c.front.refuse.Allow("decline "+host, time.Now()) {
		c.log.Warn("a pool worker declined the job", "worker_host", host, "peer", r.peer, "why", why)
	}
	c.mu.Lock()
	if len(c.ship.declined) < maxDeclines {
		c.ship.declined = append(c.ship.declined, host+": "+why)
		c.broadcastLocked() // the views changed
	}
	c.mu.Unlock()
	return nil
}

// sameBuildLocked refuses a worker whose app's build differs from the
// job's: two builds of one app may not compute the same outputs. The
// first worker with a build sets the job's. A worker running another app
// is left to the scheduler, which refuses it by the app's name: that, not
// its build, is what is wrong with it.
func (sh *shipping) sameBuildLocked(s *scheduler.Scheduler, args *protocol.RegisterArgs) error {
	switch {
	case sh.stream != nil && args.Build != sh.build:
		return fmt.Errorf("%w: worker at %s runs the app %s (build %.12s), but this is a streaming job (-mapper): "+
			"only a pool worker (mrworker without a plugin) runs its commands", scheduler.ErrWrongApp, args.Addr, args.App, args.Build)
	case args.Build == "" || args.Build == sh.build:
	case s.Job().App != "" && args.App != s.Job().App:
	case sh.build == "":
		sh.build = args.Build
	default:
		return fmt.Errorf("%w: worker at %s runs %s built %.12s, the job runs it built %.12s",
			scheduler.ErrWrongApp, args.Addr, args.App, args.Build, sh.build)
	}
	return nil
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
