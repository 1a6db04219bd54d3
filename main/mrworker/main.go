// Command mrworker runs tasks of a MapReduce job for a coordinator.
//
//	mrworker [flags] app.so
//
// It finds the coordinator at -coordinator (default $COORDINATOR_HOST,
// else 127.0.0.1:1234), keeps the run files it produces in a directory of
// its own and serves them to reducers over HTTP. It exits 0 when the job
// is done, 1 when the coordinator stops answering for about 3 s. Started
// before its coordinator, it waits for it (-wait-coordinator, 1 minute).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"

	"mapreduce/internal/auth"
	"mapreduce/internal/input"
	"mapreduce/internal/profile"
	"mapreduce/internal/quietlog"
	"mapreduce/mr"
	"mapreduce/mr/executor"
	"mapreduce/mr/worker"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-executor" {
		serveChild(os.Args[2])
		return
	}
	cfg := worker.DefaultConfig()
	verbose := flag.Bool("v", false, "log debug detail")
	secretFile := flag.String("secret-file", "", "read the job secret from this `file` (default: $MR_SECRET; none if unset)")
	flag.StringVar(&cfg.Coordinator, "coordinator", envOr("COORDINATOR_HOST", cfg.Coordinator), "the coordinator's `host:port`")
	flag.StringVar(&cfg.Dir, "dir", "", "private `directory` for run files (default: a temp dir removed at exit)")
	flag.StringVar(&cfg.Data, "data", "", "`directory` holding copies of the job's inputs under their names (read here, checked block by block, and served to peers)")
	flag.StringVar(&cfg.Listen, "listen", cfg.Listen, "listen `address` of the run-file server")
	flag.StringVar(&cfg.Advertise, "advertise", os.Getenv("MRWORKER_ADVERTISE"),
		"`host` that peers use to reach this worker (default: the address that reaches the coordinator; env MRWORKER_ADVERTISE)")
	flag.Int64Var(&cfg.MapBuffer, "map-buffer", cfg.MapBuffer, "`bytes` of map output held in memory before spilling sorted runs to disk")
	memLimit := flag.Int64("memory-limit", 0,
		"soft limit in `bytes` for the Go heap (default: $GOMEMLIMIT if set, else the job's split size + map buffer + 16 MiB)")
	flag.DurationVar(&cfg.LostAfter, "lost-after", cfg.LostAfter, "once registered, exit when the coordinator has not answered for this long")
	flag.DurationVar(&cfg.WaitCoordinator, "wait-coordinator", cfg.WaitCoordinator, "before the coordinator first answers, wait this long for it")
	isolate := flag.Bool("isolate", true, "run the app's Map, Combine and Reduce in a child process, so that a crash or hang costs only its attempt")
	flag.Int64Var(&cfg.AppMemoryLimit, "app-memory", 0, "kill the app's process when its resident memory passes this many `bytes` (default 2 GiB + 4 x the split size)")
	var pc worker.PoolConfig
	flag.BoolVar(&pc.InsecureAcceptCode, "insecure-accept-code", false,
		"a pool worker without a job secret: run the code a coordinator on this machine ships, which lets any local user run code as this user")
	faults := flag.String("inject-faults", "", "for tests: failures to inject, comma-separated (`drop-report-reply,full-reduce-disk,silent-stop`)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mrworker [flags] app.so   run one job with this app, then exit\n"+
			"       mrworker [flags]          a pool worker: run job after job, each with the app its coordinator ships (a plugin, or a streaming job's commands and files)\n")
		flag.PrintDefaults()
	}
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process to `file` (read it with go tool pprof)")
	flag.Parse()
	if flag.NArg() > 1 {
		fatal(fmt.Errorf("one plugin at most, not %d arguments (mrworker -h)", flag.NArg()))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	// On a terminal, one line per attempt (done, with its size and time).
	cfg.Logger = quietlog.New(os.Stderr, level, "attempt started", "attempt committed")
	switch {
	case *memLimit > 0:
		debug.SetMemoryLimit(*memLimit)
		os.Setenv("GOMEMLIMIT", strconv.FormatInt(*memLimit, 10)) // for the app's process too
	case os.Getenv("GOMEMLIMIT") == "":
		cfg.LimitMemory = true
	}
	secret, err := auth.LoadSecret(*secretFile)
	if err != nil {
		fatal(err)
	}
	cfg.Secret = secret
	if cfg.Faults, err = worker.ParseFaults(*faults); err != nil {
		fatal(err)
	}
	if flag.NArg() == 0 {
		pool(cfg, pc)
		return
	}
	if pc.InsecureAcceptCode {
		fatal(errors.New("-insecure-accept-code is for a pool worker (no app.so argument)"))
	}
	if err := mr.CheckPlugin(flag.Arg(0)); err != nil {
		fatal(err)
	}
	cfg.App = mr.AppName(flag.Arg(0))
	if cfg.Build, err = worker.PluginBuild(flag.Arg(0)); err != nil {
		fatal(fmt.Errorf("mr: plugin %s: %w", flag.Arg(0), err))
	}
	if cfg.WholeFiles, err = input.WholeFiles(flag.Arg(0)); err != nil {
		fatal(err)
	}
	if cfg.Executor, err = newExecutor(flag.Arg(0), *isolate); err != nil {
		fatal(err)
	}
	w, err := worker.New(cfg)
	if err != nil {
		fatal(err)
	}
	endProfile, err := profile.Start(*cpuprofile)
	if err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = w.Run(ctx)
	interrupted := ctx.Err() != nil
	stop()
	w.Close()
	endProfile()
	switch {
	case err == nil:
	case interrupted:
		fatal(fmt.Errorf("interrupted by a signal (%v)", err))
	default:
		fatal(err)
	}
}

// newExecutor is what runs the app's code: with isolate, the app's
// process, this very binary in executor mode with the plugin's absolute
// path, started at once so that a plugin that cannot load is one line
// now; without, the plugin loaded into this process.
func newExecutor(plugin string, isolate bool) (executor.Executor, error) {
	if !isolate {
		app, err := mr.LoadPlugin(plugin)
		if err != nil {
			return nil, err
		}
		return executor.InProcess{App: app}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable for the app's process: %w", err)
	}
	abs, err := filepath.Abs(plugin)
	if err != nil {
		return nil, err
	}
	ch := executor.NewChild([]string{exe, "-executor", abs}, os.Stderr)
	if err := ch.Start(); err != nil {
		ch.Close()
		return nil, err
	}
	return ch, nil
}

// pool runs a pool worker until a signal stops it: then it exits 0.
func pool(cfg worker.Config, pc worker.PoolConfig) {
	exe, err := os.Executable()
	if err != nil {
		fatal(fmt.Errorf("finding this executable for the app's process: %w", err))
	}
	p, err := worker.NewPool(cfg, pc, func(plugin string) []string { return []string{exe, "-executor", plugin} }, os.Stderr)
	if err != nil {
		fatal(err)
	}
	// The signals stay caught until the process ends: a second SIGTERM
	// while the pool stops (as timeout(1) sends, to the process and then
	// to its group, or a service manager repeating itself) must not turn
	// an orderly stop into death by signal. The stop is bounded: the
	// attempt is stopped and the app's process killed.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if err := p.Run(ctx); err != nil {
		fatal(err)
	}
}

// serveChild is the app's process: it loads the plugin (none for a
// streaming job: "") and runs the attempts its worker hands it on file
// descriptors 3 and 4.
func serveChild(plugin string) {
	var err error
	if plugin == "" { // a streaming job's: it runs the job's commands
		err = executor.ServeStream(os.NewFile(3, "tasks"), os.NewFile(4, "results"))
	} else {
		err = executor.ServeChild(plugin, os.NewFile(3, "tasks"), os.NewFile(4, "results"))
	}
	switch {
	case errors.Is(err, executor.ErrNotLoaded):
		os.Exit(1) // the worker says why
	case err != nil:
		fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "mrworker: %v\n", err)
	os.Exit(1)
}
