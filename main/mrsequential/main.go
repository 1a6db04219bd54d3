// Command mrsequential runs a MapReduce app in one process, the simple
// way, and writes its output (mr-out-0 in the current directory unless
// -o says otherwise): the reference output the distributed job must match.
//
//	mrsequential [-o FILE] [-param NAME=VALUE]... [-nreduce R] app.so inputs...
//
// -o lets the reference sit beside a job's own mr-out-0 without
// overwriting it. -param and -nreduce are the job's, as mrcoordinator
// takes them: the app reads the parameters with mr.Param, its Partition
// (if it exports one) is called on every key for R reduce tasks, and
// -nreduce 0 is a map-only job, whose output is Map's records in order. Errors are one "mrsequential: ..." line on standard
// error; the exit status is 2 for bad usage, 1 when the run fails.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/executor"
)

const usage = "usage: mrsequential [-o FILE] [-param NAME=VALUE]... [-nreduce R] app.so inputs..."

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its environment passed in; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mrsequential", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "mr-out-0", "write the output to `FILE`")
	ref := executor.Reference{Params: map[string]string{}}
	fs.Func("param", "a job parameter, `NAME=VALUE`, which the app reads with mr.Param (repeatable)", func(s string) error {
		return addParam(ref.Params, s)
	})
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
	if fs.NArg() < 2 || *out == "" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if ref.NReduce < 0 {
		fmt.Fprintf(stderr, "mrsequential: -nreduce %d: must be 0 (map-only) or more\n", ref.NReduce)
		return 2
	}
	ref.MapOnly = ref.NReduce == 0
	app, err := mr.LoadPlugin(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	if err := executor.Sequential(app, fs.Args()[1:], ref, *out); err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	return 0
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
