// Command mrsequential runs a MapReduce app in one process, the simple
// way, and writes its output (mr-out-0 in the current directory unless
// -o says otherwise): the reference output the distributed job must match.
//
//	mrsequential [-o FILE] app.so inputs...
//
// -o lets the reference sit beside a job's own mr-out-0 without
// overwriting it. Errors are one "mrsequential: ..." line on standard
// error; the exit status is 2 for bad usage, 1 when the run fails.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"mapreduce/mr"
	"mapreduce/mr/executor"
)

const usage = "usage: mrsequential [-o FILE] app.so inputs..."

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its environment passed in; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mrsequential", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "mr-out-0", "write the output to `FILE`")
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
	app, err := mr.LoadPlugin(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	if err := executor.Sequential(app, fs.Args()[1:], *out); err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	return 0
}
