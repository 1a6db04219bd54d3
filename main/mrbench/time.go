// time.go: running a process and measuring its wall time and peak RSS
// (wait4's rusage, so no external tool is needed).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// sample is one measured run.
type sample struct {
	wall    time.Duration
	rss     int64   // peak resident set, KiB: the process's (the coordinator's for a cluster)
	workers []int64 // each worker's peak resident set, KiB, for a cluster
	maps    int     // map tasks, for a cluster
}

// measured runs cmd to its end and returns its wall time and peak RSS; a
// non-zero exit is an error, returned with the sample.
func measured(cmd *exec.Cmd) (sample, error) {
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start), rss: maxRSS(cmd.ProcessState)}
	if err != nil {
		return s, fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	return s, nil
}

// maxRSS is the peak resident set of an ended process in KiB, that of its
// waited-for descendants included (Linux's ru_maxrss); 0 if unknown.
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// timeCmd runs a command with inherited stdio and appends "wall_seconds
// peak_rss_kib exit_code" to a file. The command's own failure is
// recorded, not returned: mrbench exits with the command's code.
func timeCmd(args []string) error {
	fs := flag.NewFlagSet("time", flag.ExitOnError)
	out := fs.String("o", "", "append the measurement to this `file`")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("time: want -o FILE -- command args...")
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	s, err := measured(cmd)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return fmt.Errorf("time: %w", err)
	}
	code := cmd.ProcessState.ExitCode()
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	fmt.Fprintf(f, "%.3f %d %d\n", s.wall.Seconds(), s.rss, code)
	if err := f.Close(); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if code != 0 {
		os.Exit(code)
	}
	return nil
}
