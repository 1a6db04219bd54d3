package worker

// A pool worker stays: it waits, quietly and without end, for a
// coordinator at its address, asks what job it runs, fetches the app's
// plugin from it (kept by its SHA-256 in apps/ of the pool's directory),
// runs the job as any worker does with that plugin in a fresh app's
// process, and when the job is over waits for the next. It runs code only
// from a coordinator that proved the job secret in its handshake (the
// plugin's bytes then travel in MACed frames, and must match the build
// the coordinator named), or, without a secret, from a coordinator on
// this very machine; a plugin that cannot load here is declined in one
// line naming its build and this worker's, once, and the pool waits for
// the next job.

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// Pool runs job after job for the coordinators that appear at one address.
type Pool struct {
	cfg     Config                       // every job's, but App, Build, Executor and Dir
	command func(plugin string) []string // starts the app's process for a plugin
	out     io.Writer                    // the app's processes' output
	dir     string                       // apps/ and one directory per job
	log     *slog.Logger
	keys    *auth.Keys
	jobs    int             // jobs served
	said    map[string]bool // what was said once, while waiting
}

// NewPool makes a pool worker from cfg (App and Executor are set per
// job); command is the app's process for a plugin, its output going to
// out. Its directory is cfg.Dir, or a temp dir.
func NewPool(cfg Config, command func(plugin string) []string, out io.Writer) (*Pool, error) {
	cfg.App, cfg.Executor = "pool", executor.InProcess{} // placeholders: checked per job
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mrworker-pool-"); err != nil {
			return nil, fmt.Errorf("mr: worker directory: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "apps"), 0o700); err != nil {
		return nil, fmt.Errorf("mr: worker directory: %w", err)
	}
	return &Pool{cfg: cfg, command: command, out: out, dir: dir, log: cfg.Logger, keys: auth.New(cfg.Secret),
		said: make(map[string]bool)}, nil
}

// Run serves jobs until ctx ends; then it returns nil, having stopped its
// attempt.
func (p *Pool) Run(ctx context.Context) error {
	p.log.Info("pool worker waiting for jobs", "coordinator", p.cfg.Coordinator, "dir", p.dir)
	var last string // the last job joined or declined
	for ctx.Err() == nil {
		cl, info := p.nextJob(ctx, last)
		if info == nil {
			break
		}
		last = info.Job
		p.serve(ctx, cl, info)
		cl.Close()
	}
	p.log.Info("pool worker stopping", "jobs_served", p.jobs)
	return nil
}

// once logs msg at most once per key while the pool waits.
func (p *Pool) once(key string, msg string, args ...any) {
	if !p.said[key] {
		p.said[key] = true
		p.log.Warn(msg, args...)
	}
}

// onceInfo is once, for what is no warning.
func (p *Pool) onceInfo(key string, msg string, args ...any) {
	if !p.said[key] {
		p.said[key] = true
		p.log.Info(msg, args...)
	}
}

// nextJob waits for a coordinator running a job other than last, and not
// over, that may run code here; nil once ctx ends.
func (p *Pool) nextJob(ctx context.Context, last string) (*client, *protocol.JobInfo) {
	wait := backoff{first: 100 * time.Millisecond, max: 2 * time.Second}
	var cl *client
	var info *protocol.JobInfo
	wait.retry(ctx, func() (bool, error) {
		if cl != nil {
			cl.Close()
		}
		cl = newClient(p.cfg, p.keys, nil, nil)
		var err error
		if info, err = p.ask(cl); err != nil || info.Job == last || info.Over {
			return false, err
		}
		return p.trusted(cl, info), nil
	})
	if ctx.Err() != nil {
		cl.Close()
		return nil, nil
	}
	clear(p.said)
	return cl, info
}

// ask asks the coordinator what it runs, saying once why it cannot.
func (p *Pool) ask(cl *client) (*protocol.JobInfo, error) {
	info, err := cl.Job()
	switch {
	case errors.Is(err, protocol.ErrNeedSecret) || errors.Is(err, protocol.ErrNoSecret) || errors.Is(err, protocol.ErrBadSecret):
		p.once("secret", "the coordinator's job secret is not this pool's: waiting for another", "coordinator", p.cfg.Coordinator, "err", err)
	case err != nil:
		p.onceInfo("wait", "waiting for a coordinator", "coordinator", p.cfg.Coordinator)
	}
	return info, err
}

// trusted reports whether the coordinator may have its code run here:
// it proved the job secret, or, without one, it is on this machine. A
// coordinator that may not is told so, once per job.
func (p *Pool) trusted(cl *client, info *protocol.JobInfo) bool {
	if p.keys != nil || netx.IsLoopback(net.JoinHostPort(cl.LocalIP(), "0")) {
		return true
	}
	why := "this pool worker runs code only from a coordinator that proves the job secret, or from one on its own machine: " +
		"set MR_SECRET (or -secret-file) to the same secret on both"
	p.once("untrusted "+info.Job, "refusing to run the app of a coordinator without the job secret", "coordinator", p.cfg.Coordinator, "why", why)
	cl.Decline(cl.LocalIP(), why)
	return false
}

// serve runs one job: the app's plugin fetched (or found by its build),
// its process started, then a worker for the job.
func (p *Pool) serve(ctx context.Context, cl *client, info *protocol.JobInfo) {
	log := p.log.With("job", info.Job, "app", info.App)
	if !info.Ships {
		why := "the coordinator ships no app: start it with -app path/to/app.so"
		log.Warn("job declined", "why", why)
		cl.Decline(cl.LocalIP(), why)
		return
	}
	plugin, err := p.plugin(cl, info)
	var ch *executor.Child
	if err == nil {
		ch = executor.NewChild(p.command(plugin), p.out)
		if err = ch.Start(); err != nil {
			ch.Close()
			err = fmt.Errorf("the app %s (build %.12s) cannot run here: %w (the plugin: %s; this worker: %s)",
				info.App, info.Build, err, buildOf(plugin), ownBuild())
		}
	}
	if err != nil {
		log.Warn("job declined", "why", err)
		cl.Decline(cl.LocalIP(), err.Error())
		return
	}
	defer ch.Close()
	log.Info("job joined", "build", info.Build[:min(12, len(info.Build))], "jobs_served_before", p.jobs)
	err = p.work(ctx, info, ch)
	if err == nil {
		p.jobs++
	}
	log.Info("job over; waiting for the next", "err", err, "jobs_served", p.jobs)
}

// work runs a worker for the job, in a directory of its own.
func (p *Pool) work(ctx context.Context, info *protocol.JobInfo, ch *executor.Child) error {
	cfg := p.cfg
	cfg.App, cfg.Build, cfg.Executor, cfg.Pool, cfg.JobsBefore = info.App, info.Build, ch, true, p.jobs
	cfg.Dir = filepath.Join(p.dir, "job-"+info.Job)
	defer os.RemoveAll(cfg.Dir)
	w, err := New(cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Run(ctx)
}

// plugin returns the path of the job's plugin, kept by its build in
// apps/, fetching it from the coordinator if need be.
func (p *Pool) plugin(cl *client, info *protocol.JobInfo) (string, error) {
	if len(info.Build) != 64 || info.Size < 0 {
		return "", fmt.Errorf("mr: the coordinator names no valid build of its app (%q)", info.Build)
	}
	path := filepath.Join(p.dir, "apps", info.Build+".so")
	if sum, err := PluginBuild(path); err == nil && sum == info.Build {
		return path, nil
	}
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	h := sha256.New()
	if err := cl.App(info.Size, io.MultiWriter(f, h)); err != nil {
		return "", fmt.Errorf("mr: fetching the app's plugin: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != info.Build {
		return "", fmt.Errorf("mr: the app's plugin has SHA-256 %.12s, the coordinator named %.12s", got, info.Build)
	}
	p.log.Info("app's plugin received", "app", info.App, "bytes", info.Size, "build", info.Build[:12])
	return path, f.Commit()
}

// PluginBuild is a plugin's build as jobs name it: the SHA-256 of its
// file, hex.
func PluginBuild(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildOf describes how a plugin was built: its Go version and flags.
func buildOf(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "build unknown"
	}
	return describeBuild(bi)
}

// ownBuild describes how this worker was built.
func ownBuild() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "build unknown"
	}
	return describeBuild(bi)
}

func describeBuild(bi *debug.BuildInfo) string {
	s, race := bi.GoVersion, "-race=false"
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "-race":
			race = "-race=" + kv.Value
		case "GOARCH", "CGO_ENABLED", "-tags":
			s += " " + kv.Key + "=" + kv.Value
		}
	}
	return s + " " + race
}
