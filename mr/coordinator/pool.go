package coordinator

// Pool workers: mrworker without a plugin waits for whatever job appears
// at its coordinator's address, asks what it runs (Job), fetches the app's
// plugin from the coordinator when it ships one (App, over the RPC
// connection, whose frames carry a MAC under the job secret: the bytes
// are authenticated, and checked against the build's SHA-256), and
// registers as any worker does. A pool worker that cannot run the app
// says why (Decline), once, and waits for the next job.

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
)

// maxPlugin bounds the plugin a coordinator ships.
const maxPlugin = 1 << 30

// maxDeclines bounds the declines a coordinator keeps for its views.
const maxDeclines = 64

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
	job := c.sched.Job()
	*reply = protocol.JobInfo{Job: c.job, App: job.App, Build: c.build, Ships: c.plugin != nil,
		Size: int64(len(c.plugin)), Over: job.Over, Stream: c.stream}
	return nil
}

// App sends a chunk of the plugin the coordinator ships.
func (r *coordRPC) App(args *protocol.AppArgs, reply *protocol.AppReply) error {
	p := r.c.plugin
	if args.Sum != "" {
		if p = r.c.shipped[args.Sum]; p == nil {
			return fmt.Errorf("mr: this coordinator ships no file of SHA-256 %.12s", args.Sum)
		}
	}
	if p == nil {
		return fmt.Errorf("mr: this coordinator ships no app (start it with -app path/to/app.so)")
	}
	if args.Offset < 0 || args.Offset > int64(len(p)) {
		return fmt.Errorf("mr: no plugin bytes at %d", args.Offset)
	}
	end := min(args.Offset+protocol.MaxAppChunk, int64(len(p)))
	reply.Data = p[args.Offset:end]
	return nil
}

// Decline notes a pool worker that will not run the job, and why, for
// the log (once per host per minute) and the views.
func (r *coordRPC) Decline(args *protocol.DeclineArgs, _ *protocol.DeclineReply) error {
	c := r.c
	why := protocol.Truncate(args.Reason, protocol.MaxErrText)
	host := protocol.Truncate(args.Addr, 80)
	if c.refuse.Allow("decline "+host, time.Now()) {
		c.log.Warn("a pool worker declined the job", "worker_host", host, "peer", r.peer, "why", why)
	}
	c.mu.Lock()
	if len(c.declined) < maxDeclines {
		c.declined = append(c.declined, host+": "+why)
		c.broadcastLocked() // the views changed
	}
	c.mu.Unlock()
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
