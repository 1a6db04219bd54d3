// Command mrsequential runs a MapReduce app in one process, the simple
// way, and writes its output (mr-out-0 in the current directory unless
// -o says otherwise): the reference output the distributed job must match.
//
//	mrsequential [-o FILE] [-split-size N] [-pack-size N] [-small-file N]
//	             [-whole-files] [-binary] [-param NAME=VALUE]... [-nreduce R]
//	             app.so inputs...
//
// It takes its inputs (files, or folders of files) by the coordinator's
// rule. By default Map sees each whole file: the app's reference, what a
// job must write at any split size. With -split-size N it cuts them as
// the coordinator does with the same flags (-pack-size and -small-file
// too, with the same defaults), so Map is called on the same pieces and
// the output is the job's byte for byte: an app that counts on seeing
// whole files differs from its reference at a split size smaller than
// its inputs. -o lets the reference sit beside a job's own mr-out-0
// without overwriting it.
// -param and -nreduce are the job's, as mrcoordinator takes them: the
// app reads the parameters with mr.Param, its Partition (if it exports
// one) is called on every key for R reduce tasks, and -nreduce 0 is a
// map-only job, whose output is Map's records in order.
// With -mapper CMD (and -reducer CMD, -combiner CMD, -file PATH...) the
// app is a streaming job's, as mrcoordinator takes it, and every argument
// is an input: the mapper runs on each piece, the reducer once over all
// the records sorted by key, in a temp dir holding the -file files; the
// combiner is not run (whether it runs must not change the output).
// Errors are one "mrsequential: ..." line on standard error; so is each
// note of input folder entries skipped. The exit status is 2 for bad
// usage, 1 when the run fails.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/executor"
)

const usage = "usage: mrsequential [-o FILE] [-split-size N] [-pack-size N] [-small-file N] [-whole-files] [-binary] [-param NAME=VALUE]... [-nreduce R] app.so inputs...\n" +
	"       mrsequential [flags] -mapper CMD [-reducer CMD] [-combiner CMD] [-file PATH]... inputs..."

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its environment passed in; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mrsequential", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "mr-out-0", "write the output to `FILE`")
	var opt input.Options
	fs.Int64Var(&opt.Split, "split-size", 0, "cut inputs larger than this many `bytes` into several pieces, as the coordinator's -split-size (default: never, Map sees whole files)")
	fs.Int64Var(&opt.Small, "small-file", 0, "inputs smaller than this many `bytes` share tasks, as the coordinator's -small-file (default: the split size)")
	fs.Int64Var(&opt.Pack, "pack-size", 0, "small inputs share a task up to this many `bytes`, as the coordinator's -pack-size (default: the split size)")
	fs.BoolVar(&opt.WholeFiles, "whole-files", false, "never cut an input (also when the app exports WholeFiles = true)")
	fs.BoolVar(&opt.Binary, "binary", false, "accept inputs that are not text (a NUL byte in their first 4 KiB)")
	ref := executor.Reference{Params: map[string]string{}}
	fs.Func("param", "a job parameter, `NAME=VALUE`, which the app reads with mr.Param (repeatable)", func(s string) error {
		return addParam(ref.Params, s)
	})
	var st streamFlags
	st.add(fs)
	fs.IntVar(&ref.NReduce, "nreduce", 10, "the job's reduce `tasks`, for the app's Partition; 0: a map-only job")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v (%s)\n", err, usage)
		return 2
	}
	streaming := st.Mapper != "" || st.Reducer != "" || st.Combiner != "" || len(st.files) > 0
	if fs.NArg() < 2 && !streaming || fs.NArg() < 1 || *out == "" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if opt.Split < 0 || opt.Small < 0 || opt.Pack < 0 {
		fmt.Fprintf(stderr, "mrsequential: -split-size %d, -small-file %d, -pack-size %d: sizes must be positive\n",
			opt.Split, opt.Small, opt.Pack)
		return 2
	}
	if ref.NReduce < 0 {
		fmt.Fprintf(stderr, "mrsequential: -nreduce %d: must be 0 (map-only) or more\n", ref.NReduce)
		return 2
	}
	ref.MapOnly = ref.NReduce == 0
	if opt.Split == 0 {
		opt.Split, opt.WholeFiles = input.DefaultSplit, true
	}
	if streaming {
		return runStream(&st, fs.Args(), opt, ref, *out, stderr)
	}
	if err := sequential(fs.Arg(0), fs.Args()[1:], opt, ref, *out, stderr); err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	return 0
}

// sequential checks the inputs and the plugin, saying which folder
// entries it skipped, then loads the app and runs it: bad inputs are
// refused before the app is loaded, as the coordinator refuses them.
func sequential(plugin string, args []string, opt input.Options, ref executor.Reference, out string, stderr io.Writer) error {
	inputs, notes, err := input.Expand(args)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "mrsequential: %s\n", n)
	}
	if err := mr.CheckPlugin(plugin); err != nil {
		return err
	}
	declared, err := input.WholeFiles(plugin)
	if err != nil {
		return err
	}
	opt.WholeFiles = opt.WholeFiles || declared
	if _, _, err := input.Tasks(inputs, opt); err != nil {
		return err
	}
	app, err := mr.LoadPlugin(plugin)
	if err != nil {
		return err
	}
	if declared != app.WholeFiles {
		return fmt.Errorf("mr: plugin %s: WholeFiles is %t once loaded but %t where declared: "+
			"set it where it is declared (var WholeFiles = true), which is what the coordinator reads", plugin, app.WholeFiles, declared)
	}
	return executor.Sequential(app, inputs, opt, ref, out)
}

// addParam adds a -param flag's NAME=VALUE to params, within the bounds
// the coordinator applies.
func addParam(params map[string]string, s string) error {
	name, value, err := protocol.ParseParam(s)
	if err != nil {
		return err
	}
	if _, ok := params[name]; !ok && len(params) >= protocol.MaxParams {
		return fmt.Errorf("more than %d parameters", protocol.MaxParams)
	}
	params[name] = value
	return nil
}
