// Command mrsequential runs a MapReduce app in one process, the simple
// way, and writes mr-out-0 in the current directory: the reference
// output the distributed job must match.
//
//	mrsequential app.so inputs...
package main

import (
	"fmt"
	"os"

	"mapreduce/mr"
	"mapreduce/mr/executor"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintf(os.Stderr, "usage: mrsequential app.so inputs...\n")
		os.Exit(2)
	}
	app, err := mr.LoadPlugin(os.Args[1])
	if err != nil {
		fatal(err)
	}
	if err := executor.Sequential(app, os.Args[2:], "mr-out-0"); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "mrsequential: %v\n", err)
	os.Exit(1)
}
