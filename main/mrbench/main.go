// Command mrbench measures the engine: the benchmark behind
// scripts/bench.sh, and the references it is measured against.
//
//	mrbench bench [flags]
//	    the benchmark's rows, each a command beside its reference in
//	    alternating pairs, outputs checked (mrbench bench -h).
//	mrbench limit -o OUT inputs...
//	    a fused, single-process word count over all cores: the practical
//	    limit for wc on this machine. OUT gets the same bytes as mr-wc-all.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "bench":
		err = benchCmd(os.Args[2:])
	case "limit":
		err = limitCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mrbench: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: mrbench bench [flags] (-h for them)\n       mrbench limit -o OUT inputs...\n")
	os.Exit(2)
}
