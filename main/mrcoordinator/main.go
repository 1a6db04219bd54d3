// Command mrcoordinator runs the coordinator of one MapReduce job.
//
//	mrcoordinator [flags] inputs...
//
// It listens on -addr (default $COORDINATOR_HOST, else 127.0.0.1:1234) for
// workers, hands out map and reduce tasks, and writes mr-out-Y for every
// reduce task and mr-<app>-all, all outputs merged by key, into -out. It
// exits 0 once both are complete (after -linger, if given). Its status
// page is at http://<addr>/ for as long as it runs. On a terminal, its
// progress is one line updated in place instead of a log line every 2 s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/auth"
	"mapreduce/internal/input"
	"mapreduce/internal/profile"
	"mapreduce/internal/protocol"
	"mapreduce/internal/quietlog"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/scheduler"
)

func main() {
	cfg := coordinator.DefaultConfig()
	addrFile := flag.String("addr-file", "", "once listening, write the actual host:port to this `file`")
	verbose := flag.Bool("v", false, "log debug detail")
	secretFile := flag.String("secret-file", "", "read the job secret from this `file` (default: $MR_SECRET; none if unset)")
	flag.StringVar(&cfg.Addr, "addr", envOr("COORDINATOR_HOST", cfg.Addr), "listen on `host:port` (port 0 picks a free port)")
	flag.IntVar(&cfg.NReduce, "nreduce", cfg.NReduce, "number of reduce tasks (0: a map-only job, each map task's records its output)")
	flag.Func("param", "a job parameter, `NAME=VALUE`, which the app reads with mr.Param (repeatable; at most 64, of 4 KiB each)", func(s string) error {
		return addParam(&cfg.Params, s)
	})
	flag.BoolVar(&cfg.TotalOrder, "total-order", false, "sample the keys first and give each reduce task a range of them: mr-out-0, mr-out-1, ... in order (needs -app path/app.so)")
	flag.StringVar(&cfg.OutDir, "out", cfg.OutDir, "output `directory`")
	app := flag.String("app", "", "the app: a `name` every worker must run (default: the first worker's), or a plugin path.so to ship to pool workers")
	flag.Int64Var(&cfg.SplitSize, "split-size", cfg.SplitSize, "cut inputs larger than this many `bytes` into several map tasks")
	flag.DurationVar(&cfg.HeartbeatTimeout, "heartbeat-timeout", cfg.HeartbeatTimeout, "declare a silent worker dead after this long")
	flag.DurationVar(&cfg.TaskTimeout, "task-timeout", cfg.TaskTimeout, "start a backup attempt of a task running this long")
	flag.Int64Var(&cfg.MaxUpload, "max-upload", cfg.MaxUpload, "refuse reduce outputs larger than this many `bytes`")
	flag.DurationVar(&cfg.AttemptLimit, "attempt-limit", cfg.AttemptLimit, "kill an attempt whose app code makes no progress for this long")
	flag.DurationVar(&cfg.Linger, "linger", 0, "after the job, keep serving the status page for this `duration` (e.g. 2m; Ctrl-C ends it sooner)")
	flag.BoolVar(&cfg.Journal, "journal", false, "keep the job's journal in -out, so that the same command run again resumes the job after a crash")
	flag.DurationVar(&cfg.RestartWindow, "restart-window", cfg.RestartWindow, "with -journal, how long workers wait for their coordinator to come back")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mrcoordinator [flags] inputs...\n")
		flag.PrintDefaults()
	}
	flag.Int64Var(&cfg.SmallFile, "small-file", cfg.SmallFile, "inputs smaller than this many `bytes` share map tasks (default: the split size)")
	flag.Int64Var(&cfg.PackSize, "pack-size", 0, "small inputs share a map task up to this many `bytes` (default: the split size; 1: never)")
	flag.Int64Var(&cfg.AbsorbSize, "absorb-size", 0, "a map task of at least half the split size absorbs the next, for one output, up to this many `bytes` of input (default: 4 times the split size; 1: never)")
	flag.BoolVar(&cfg.WholeFiles, "whole-files", false, "never cut an input into splits: the app needs whole files (set by itself when -app's plugin exports WholeFiles = true)")
	flag.BoolVar(&cfg.Binary, "binary", false, "accept inputs that are not text (a NUL byte in their first 4 KiB): the app reads bytes")
	flag.IntVar(&cfg.WaitWorkers, "wait-workers", 0, "hand out no task until this many workers have joined (`N`; default: start with the first)")
	flag.StringVar(&cfg.Manifest, "manifest", "", "plan the job from this manifest `file` (bin/mrmanifest) instead of inputs held here: workers started with -data hold them")
	flag.DurationVar(&cfg.HolderWait, "holder-wait", cfg.HolderWait, "with -manifest, fail the job when an input has no live worker holding it for this long")
	var stream protocol.Stream
	flag.StringVar(&stream.Mapper, "mapper", "", "a streaming job: the mapper, a `command` run with sh -c that reads its split's lines and writes key<TAB>value lines (pool workers only)")
	flag.StringVar(&stream.Reducer, "reducer", "", "a streaming job: the reducer `command`, reading key<TAB>value lines sorted by key and writing output lines")
	flag.StringVar(&stream.Combiner, "combiner", "", "a streaming job: the combiner `command`, run on batches of a map's records sorted by key")
	flag.Func("file", "a streaming job: ship this `file` to the workers, where the commands find it in their working directory (repeatable)", func(path string) error {
		cfg.StreamFiles = append(cfg.StreamFiles, path)
		return nil
	})
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process to `file` (read it with go tool pprof)")
	check := flag.Bool("check", false, "only check the inputs: say what the job would skip or refuse, and exit (0: it would start)")
	parseFlags()
	if flag.NArg() == 0 && cfg.Manifest == "" {
		fmt.Fprintln(os.Stderr, "mrcoordinator: no inputs: name the files (or folders of files) to process, as in: mrcoordinator in/*.txt, or a manifest with -manifest FILE (mrcoordinator -h lists the flags)")
		os.Exit(2)
	}
	if *check {
		os.Exit(checkInputs(cfg, flag.Args(), os.Stderr))
	}
	if cfg.NReduce < 0 {
		fatal(fmt.Errorf("-nreduce %d: must be 0 (a map-only job) or more", cfg.NReduce))
	}
	if cfg.NReduce == 0 && cfg.TotalOrder {
		fatal(errors.New("-total-order with -nreduce 0: a map-only job has no reduce tasks to put in order"))
	}
	cfg.MapOnly = cfg.NReduce == 0
	if cfg.SplitSize < 1 {
		fatal(fmt.Errorf("-split-size %d: must be at least 1", cfg.SplitSize))
	}
	if cfg.HeartbeatTimeout <= 0 || cfg.TaskTimeout <= 0 {
		fatal(fmt.Errorf("-heartbeat-timeout and -task-timeout must be positive"))
	}
	// On a terminal, progress is one line kept in place below the log.
	line := newStatusLine(os.Stderr)
	var logOut io.Writer = os.Stderr
	if line != nil {
		logOut, cfg.Progress = line, line.set
	}
	cfg.Logger = newLogger(logOut, *verbose, line != nil)
	if stream.Mapper != "" || stream.Reducer != "" || stream.Combiner != "" {
		cfg.Stream = &stream
	}
	if strings.HasSuffix(*app, ".so") {
		cfg.AppPlugin = *app
	} else {
		cfg.App = *app
	}
	secret, err := auth.LoadSecret(*secretFile)
	if err != nil {
		fatal(err)
	}
	cfg.Secret, cfg.SecretFile = secret, *secretFile
	c, err := coordinator.New(cfg, flag.Args())
	var finished *coordinator.FinishedError
	if errors.As(err, &finished) {
		fmt.Fprintf(os.Stderr, "mrcoordinator: %v\n", err)
		return
	}
	if err != nil {
		fatal(err)
	}
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, c.Addr()+"\n"); err != nil {
			fatal(err)
		}
	}
	endProfile, err := profile.Start(*cpuprofile)
	if err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = c.Run(ctx)
	endProfile()
	line.end()
	if err != nil {
		fatal(err)
	}
}

// parseFlags parses the command line; a bad flag is one line, exit 2
// (-h still lists them all).
func parseFlags() {
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	usage := flag.Usage
	flag.CommandLine.SetOutput(io.Discard)
	flag.Usage = func() {}
	err := flag.CommandLine.Parse(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		flag.CommandLine.SetOutput(os.Stderr)
		usage()
		os.Exit(0)
	case err != nil:
		fmt.Fprintf(os.Stderr, "mrcoordinator: %v (mrcoordinator -h lists the flags)\n", err)
		os.Exit(2)
	}
}

func newLogger(out io.Writer, verbose, terminal bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	var h slog.Handler = slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})
	if terminal && !verbose { // a person watches: the progress line tells of tasks
		h = quietlog.Quiet(h, scheduler.TaskAssigned.String(), scheduler.TaskDone.String(), scheduler.WorkerToldToExit.String())
	}
	return slog.New(h)
}

// addParam adds a -param flag's NAME=VALUE to *params, within bounds.
func addParam(params *map[string]string, s string) error {
	name, value, err := protocol.ParseParam(s)
	if err != nil {
		return err
	}
	if *params == nil {
		*params = make(map[string]string)
	}
	if _, ok := (*params)[name]; !ok && len(*params) >= protocol.MaxParams {
		return fmt.Errorf("more than %d parameters", protocol.MaxParams)
	}
	(*params)[name] = value
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// writeFileAtomic writes data to path, visible only once complete.
func writeFileAtomic(path, data string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.WriteString(data); err != nil {
		return err
	}
	return f.Commit()
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "mrcoordinator: %v\n", err)
	os.Exit(1)
}

// checkInputs takes the inputs as the coordinator does, and says what it
// would say of them: each folder's skipped entries, and why it refuses
// them. It returns the exit status: 0 if the job would start.
func checkInputs(cfg coordinator.Config, args []string, stderr io.Writer) int {
	inputs, notes, err := input.Expand(args)
	for _, n := range notes {
		fmt.Fprintf(stderr, "mrcoordinator: %s\n", n)
	}
	if err == nil {
		_, _, err = input.Tasks(inputs, input.Options{Split: cfg.SplitSize, Small: cfg.SmallFile, Pack: cfg.PackSize,
			WholeFiles: cfg.WholeFiles, Binary: cfg.Binary})
	}
	if err != nil {
		fmt.Fprintf(stderr, "mrcoordinator: %v\n", err)
		return 1
	}
	return 0
}
