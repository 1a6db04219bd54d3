// cluster.go: one job on loopback, a coordinator and its workers each a
// process in a directory of its own, measured from the coordinator's
// start to its exit.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mapreduce/internal/protocol"
)

// job is what a cluster runs.
type job struct {
	plugin  string   // the app's .so; "" for pool workers, which run what the coordinator ships
	workers int      // how many
	flags   []string // the coordinator's, before the inputs
	inputs  []string
}

// ended is a process's end: its sample and its error.
type ended struct {
	s   sample
	err error
}

// runCluster runs j in dir (emptied first) and returns the coordinator's
// wall time and RSS with each worker's RSS, and the job's output file.
// The coordinator waits for every worker (-wait-workers), so its wall
// time is the job's. Pool workers are stopped once the coordinator exits.
func runCluster(bin string, j job, dir string) (sample, string, error) {
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		return sample{}, "", err
	}
	addrFile := filepath.Join(dir, "addr")
	args := append([]string{"-addr", "127.0.0.1:0", "-addr-file", addrFile, "-out", filepath.Join(dir, "out"),
		"-wait-workers", strconv.Itoa(j.workers)}, j.flags...)
	coord := start(exec.Command(filepath.Join(bin, "mrcoordinator"), append(args, j.inputs...)...), dir, "coordinator.log")
	addr, err := waitAddr(addrFile, coord)
	if err != nil {
		return sample{}, "", fmt.Errorf("%w (see %s/coordinator.log)", err, dir)
	}
	procs, workers := startWorkers(bin, j, dir, addr)
	c := <-coord
	if j.plugin == "" || c.err != nil {
		for _, p := range procs {
			if p.Process != nil {
				p.Process.Signal(syscall.SIGTERM)
			}
		}
	}
	s := c.s
	for i, w := range workers {
		e := <-w
		s.workers = append(s.workers, e.s.rss)
		if e.err != nil && j.plugin != "" && err == nil {
			err = fmt.Errorf("worker %d: %w (see %s/w%d/worker.log)", i+1, e.err, dir, i+1)
		}
	}
	if c.err != nil {
		return s, "", fmt.Errorf("%w (see %s/coordinator.log)", c.err, dir)
	}
	if err != nil {
		return s, "", err
	}
	return readOutputs(dir, s)
}

// start starts cmd in dir with its output to log there, measured from
// now; the channel gets its end.
func start(cmd *exec.Cmd, dir, log string) <-chan ended {
	ch := make(chan ended, 1)
	f, err := os.Create(filepath.Join(dir, log))
	if err != nil {
		ch <- ended{err: err}
		return ch
	}
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	began := time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		ch <- ended{err: err}
		return ch
	}
	go func() {
		err := cmd.Wait()
		f.Close()
		if err != nil {
			err = fmt.Errorf("%s: %w", filepath.Base(cmd.Path), err)
		}
		ch <- ended{sample{wall: time.Since(began), rss: maxRSS(cmd.ProcessState)}, err}
	}()
	return ch
}

// waitAddr waits for the coordinator to write its address, for up to a
// minute (a loaded machine starts a process slowly), or to exit.
func waitAddr(file string, coord <-chan ended) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case e := <-coord:
			return "", fmt.Errorf("coordinator exited before listening: %v", e.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return "", errors.New("coordinator wrote no address in a minute")
}

// startWorkers starts j's workers, each in dir/wN.
func startWorkers(bin string, j job, dir, addr string) ([]*exec.Cmd, []<-chan ended) {
	var cmds []*exec.Cmd
	var ends []<-chan ended
	for i := 1; i <= j.workers; i++ {
		arg := j.plugin
		if arg == "" {
			arg = "-insecure-accept-code" // a pool worker on loopback, no secret
		}
		wd := filepath.Join(dir, fmt.Sprintf("w%d", i))
		cmd := exec.Command(filepath.Join(bin, "mrworker"), arg)
		cmd.Env = append(os.Environ(), "COORDINATOR_HOST="+addr)
		if err := os.MkdirAll(wd, 0o755); err != nil {
			ch := make(chan ended, 1)
			ch <- ended{err: err}
			ends = append(ends, ch)
			continue
		}
		cmds = append(cmds, cmd)
		ends = append(ends, start(cmd, wd, "worker.log"))
	}
	return cmds, ends
}

// readOutputs finds the job's output (mr-APP-all) and reads its summary
// into s.
func readOutputs(dir string, s sample) (sample, string, error) {
	outs, _ := filepath.Glob(filepath.Join(dir, "out", "mr-*-all"))
	if len(outs) != 1 {
		return s, "", fmt.Errorf("%s/out holds %d job outputs, want 1", dir, len(outs))
	}
	sum, err := readSummary(dir)
	s.maps = sum.Maps
	return s, outs[0], err
}

// readSummary reads the summary of the job that ran in dir.
func readSummary(dir string) (protocol.Summary, error) {
	var sum protocol.Summary
	files, _ := filepath.Glob(filepath.Join(dir, "out", "mr-*-summary.json"))
	if len(files) != 1 {
		return sum, fmt.Errorf("%s/out holds %d summaries, want 1", dir, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err == nil {
		err = json.Unmarshal(b, &sum)
	}
	return sum, err
}
