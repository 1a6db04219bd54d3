// time.go: running a process and measuring its wall time and peak RSS
// (wait4's rusage, so no external tool is needed).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// sample is one measured run.
type sample struct {
	wall    time.Duration
	cpu     time.Duration // user + system, of a cluster's processes together
	rss     int64         // peak resident set, KiB: the process's (the coordinator's for a cluster)
	workers []int64       // each worker's peak resident set, KiB, for a cluster
	maps    int           // map tasks, for a cluster
}

// measured runs cmd to its end and returns its wall time and peak RSS; a
// non-zero exit is an error, returned with the sample.
func measured(cmd *exec.Cmd) (sample, error) {
	start := time.Now()
	err := cmd.Run()
	s := ended(cmd.ProcessState, time.Since(start))
	if err != nil {
		return s, fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	return s, nil
}

// ended is the sample of an ended process that ran for wall.
func ended(ps *os.ProcessState, wall time.Duration) sample {
	s := sample{wall: wall, rss: maxRSS(ps)}
	if ps != nil {
		s.cpu = ps.UserTime() + ps.SystemTime()
	}
	return s
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
