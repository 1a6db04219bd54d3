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

// timeCmd runs a command with inherited stdio and records its wall time,
// peak resident set size and exit code. The command's own failure is
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
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return fmt.Errorf("time: %w", err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss // KiB on Linux
	}
	code := cmd.ProcessState.ExitCode()
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	fmt.Fprintf(f, "%.3f %d %d\n", wall.Seconds(), rss, code)
	if err := f.Close(); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if code != 0 {
		os.Exit(code)
	}
	return nil
}
