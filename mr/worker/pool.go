// A pool worker stays: it waits, quietly and without end, for a
// coordinator at its address, asks what job it runs, fetches the app's
// plugin from it (kept by its SHA-256 in apps/ of the pool's directory,
// a bounded cache: apps.go), runs the job as any worker does with that
// plugin in a fresh app's process, and when the job is over waits for the
// next. It runs code only from a coordinator that proved the job secret
// in its handshake (the plugin's bytes then travel in MACed frames, and
// must match the build the coordinator named), or, without a secret and
// only when started with PoolConfig.InsecureAcceptCode, from a
// coordinator on this very machine; a plugin that cannot load here, or a
// job it cannot join (its -listen port taken), is declined in one line,
// once, and the pool waits for the next job. What the coordinator names
// (the job's id, the build) is checked before it names a file.

package worker

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

	"mapreduce/internal/auth"
	"mapreduce/internal/netx"
	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// PoolConfig is what a pool worker adds to its workers' Config. Zero
// fields take the defaults.
type PoolConfig struct {
	// InsecureAcceptCode lets a pool worker without a job secret run the
	// code that a coordinator on its own machine ships: any local user can
	// start one, so any local user's code then runs as this worker's user.
	// Without a secret, NewPool refuses to start unless it is set.
	InsecureAcceptCode bool
	// KeepApps is how many plugins apps/ keeps (default 4); the
	// least recently used is evicted for a new one.
	KeepApps int
	// MaxPlugin is the largest plugin accepted, in bytes
	// (default 1 GiB): a coordinator announcing more is declined
	// before anything is written.
	MaxPlugin int64
}

// errInsecurePool is NewPool's refusal to run shipped code without a
// job secret when not told to accept that.
var errInsecurePool = errors.New("mr: a pool worker without a job secret would run the code of any local user's coordinator as this user: " +
	"set MR_SECRET (or -secret-file) to the job secret, or accept that risk with -insecure-accept-code")

// jobSource is what a pool worker asks of a coordinator before it
// joins its job, or to decline it (client is the real one).
type jobSource interface {
	Job() (*protocol.JobInfo, error)
	// shipped writes the size bytes of the job's plugin (sum ""), or of
	// the streaming job's file of SHA-256 sum, to w.
	shipped(sum string, size int64, w io.Writer) error
	// Decline says this pool worker, reached at addr, will not run the
	// job, and why.
	Decline(addr, reason string) error
	LocalIP() string
	Close()
}

// Pool runs job after job for the coordinators that appear at one address.
type Pool struct {
	cfg     Config                       // every job's, but App, Build, Executor and Dir
	command func(plugin string) []string // starts the app's process for a plugin
	out     io.Writer                    // the app's processes' output
	dir     string                       // apps/ and one directory per job
	temp    bool                         // dir is a temp dir of its own, removed when Run returns
	apps    *appCache
	log     *slog.Logger
	keys    *auth.Keys
	jobs    int             // jobs served
	said    map[string]bool // what was said once, while waiting

	dial      func() jobSource                  // a new connection to the coordinator
	newWorker func(cfg Config) (*Worker, error) // New, but in tests
}

// NewPool makes a pool worker from cfg (App and Executor are set per
// job) and pc; command is the app's process for a plugin, its output
// going to out. Its directory is cfg.Dir, or a temp dir removed when Run
// returns.
func NewPool(cfg Config, pc PoolConfig, command func(plugin string) []string, out io.Writer) (*Pool, error) {
	cfg.App, cfg.Executor = "pool", executor.InProcess{} // placeholders: checked per job
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Secret) == 0 && !pc.InsecureAcceptCode {
		return nil, errInsecurePool
	}
	orDefault(&pc.KeepApps, defaultKeepApps)
	orDefault(&pc.MaxPlugin, defaultMaxPlugin)
	if cfg.Data != "" { // one for every job: a copy found to differ is remembered
		if cfg.data, err = newDataDir(cfg.Data); err != nil {
			return nil, err
		}
	}
	dir, temp := cfg.Dir, cfg.Dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "mrworker-pool-"); err != nil {
			return nil, fmt.Errorf("mr: worker directory: %w", err)
		}
	}
	apps, err := openAppCache(filepath.Join(dir, "apps"), pc.KeepApps, pc.MaxPlugin)
	if err != nil {
		if temp {
			os.RemoveAll(dir)
		}
		return nil, fmt.Errorf("mr: worker directory: %w", err)
	}

	p := &Pool{cfg: cfg, command: command, out: out, dir: dir, temp: temp, apps: apps, log: cfg.Logger,
		keys: auth.New(cfg.Secret), said: make(map[string]bool), newWorker: New}
	p.dial = func() jobSource { return newClient(p.cfg, p.keys, nil, nil) }
	return p, nil
}

// Run serves jobs until ctx ends; then it returns nil, having stopped its
// attempt (and removed its directory if it is a temp dir).
func (p *Pool) Run(ctx context.Context) error {
	p.log.Info("pool worker waiting for jobs", "coordinator", p.cfg.Coordinator, "dir", p.dir)
	if p.keys == nil {
		p.log.Warn("no job secret: this pool worker runs the code of any coordinator on this machine, " +
			"so any local user's code runs as this user (-insecure-accept-code)")
	}
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
	if p.temp {
		os.RemoveAll(p.dir)
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
func (p *Pool) nextJob(ctx context.Context, last string) (jobSource, *protocol.JobInfo) {
	wait := backoff{first: 100 * time.Millisecond, max: 2 * time.Second}
	var cl jobSource
	var info *protocol.JobInfo
	wait.retry(ctx, func() (bool, error) {
		if cl != nil {
			cl.Close()
		}
		cl = p.dial()
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
func (p *Pool) ask(cl jobSource) (*protocol.JobInfo, error) {
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
func (p *Pool) trusted(cl jobSource, info *protocol.JobInfo) bool {
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
func (p *Pool) serve(ctx context.Context, cl jobSource, info *protocol.JobInfo) {
	log := p.log.With("job", protocol.Truncate(info.Job, 64), "app", protocol.Truncate(info.App, 64))
	ch, w, err := p.join(cl, info)
	if err != nil {
		log.Warn("job declined", "why", err)
		cl.Decline(cl.LocalIP(), err.Error())
		return
	}
	defer os.RemoveAll(p.jobDir(info))
	defer ch.Close()
	defer w.Close()
	log.Info("job joined", "build", info.Build[:12], "jobs_served_before", p.jobs)
	err = w.Run(ctx)
	if err == nil {
		p.jobs++
	}
	log.Info("job over; waiting for the next", "err", err, "jobs_served", p.jobs)
}

// join makes what runs the job: the app's process with the job's
// plugin, and a worker in a directory of its own. Its error, one line,
// is why the job is declined.
func (p *Pool) join(cl jobSource, info *protocol.JobInfo) (*executor.Child, *Worker, error) {
	switch {
	case !validJob(info.Job):
		return nil, nil, fmt.Errorf("mr: the coordinator names no valid job id (%q)", protocol.Truncate(info.Job, 80))
	case info.Stream != nil:
		return p.joinStream(cl, info)
	case !info.Ships:
		return nil, nil, errors.New("the coordinator ships no app: start it with -app path/to/app.so, or -mapper CMD")
	}
	plugin, err := p.plugin(cl, info)
	if err != nil {
		return nil, nil, err
	}
	ch := executor.NewChild(p.command(plugin), p.out)
	if err = ch.Start(); err != nil {
		ch.Close()
		err = fmt.Errorf("the app %s (build %.12s) cannot run here: %w (the plugin: %s; this worker: %s)",
			info.App, info.Build, err, buildOf(plugin), ownBuild())
		p.apps.drop(info.Build) // declined: not kept
		return nil, nil, err
	}
	p.apps.use(info.Build)
	cfg := p.cfg
	cfg.App, cfg.Build, cfg.Executor = info.App, info.Build, ch
	return p.worker(ch, cfg, info)
}

// worker makes the worker of a job whose app's process ch runs, with
// cfg's app; a failure closes ch.
func (p *Pool) worker(ch *executor.Child, cfg Config, info *protocol.JobInfo) (*executor.Child, *Worker, error) {
	cfg.pool, cfg.jobsBefore = true, p.jobs
	cfg.Dir = p.jobDir(info)
	w, err := p.newWorker(cfg)
	if err != nil { // its -listen port taken, say
		ch.Close()
		os.RemoveAll(cfg.Dir)
		return nil, nil, err
	}
	return ch, w, nil
}

// jobDir is the directory of a job's worker; the job's id was checked.
func (p *Pool) jobDir(info *protocol.JobInfo) string { return filepath.Join(p.dir, "job-"+info.Job) }

// validJob reports whether a job's id can name a directory: 1 to 64
// letters, digits, '-' or '_'.
func validJob(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// plugin returns the path of the job's plugin, kept by its build in
// apps/, fetching it from the coordinator if need be.
func (p *Pool) plugin(cl jobSource, info *protocol.JobInfo) (string, error) {
	if !validBuild(info.Build) {
		return "", fmt.Errorf("mr: the coordinator names no valid build of its app (%q)", protocol.Truncate(info.Build, 80))
	}
	if path, ok := p.apps.lookup(info.Build); ok {
		return path, nil
	}
	path, err := p.apps.fetch(info.Build, info.Size, func(w io.Writer) error { return cl.shipped("", info.Size, w) })
	if err == nil {
		p.log.Info("app's plugin received", "app", info.App, "bytes", info.Size, "build", info.Build[:12])
	}
	return path, err
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
