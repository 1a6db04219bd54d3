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
	"slices"
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
	data    string // the workers' -data directory, if any
}

// in is j run with bin's binaries: its plugin, and the plugin the
// coordinator's -app names, are bin's of the same name (a plugin loads
// only into a binary built alike).
func (j job) in(bin string) job {
	if j.plugin != "" {
		j.plugin = filepath.Join(bin, filepath.Base(j.plugin))
	}
	j.flags = slices.Clone(j.flags)
	for i := 1; i < len(j.flags); i++ {
		if j.flags[i-1] == "-app" {
			j.flags[i] = filepath.Join(bin, filepath.Base(j.flags[i]))
		}
	}
	return j
}

// proc is a process started by start.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it ended, s and err set
	s    sample
	err  error
}

// wait waits for p's end.
func (p *proc) wait() (sample, error) {
	<-p.done
	return p.s, p.err
}

// signal sends sig to p if it started.
func (p *proc) signal(sig os.Signal) {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(sig)
	}
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
		coord.signal(os.Kill)
		coord.wait()
		return sample{}, "", fmt.Errorf("%w (see %s/coordinator.log)", err, dir)
	}
	workers := startWorkers(bin, j, dir, addr)
	s, cerr := coord.wait()
	if j.plugin == "" || cerr != nil {
		for _, w := range workers {
			w.signal(syscall.SIGTERM)
		}
	}
	err = waitWorkers(&s, workers, j.plugin == "", dir)
	if cerr != nil {
		return s, "", fmt.Errorf("%w (see %s/coordinator.log)", cerr, dir)
	}
	if err != nil {
		return s, "", err
	}
	return readOutputs(dir, s)
}

// waitWorkers waits for every worker and adds their peak RSS and CPU
// time to s; it returns the first failure unless they are pool workers
// (which are stopped).
func waitWorkers(s *sample, workers []*proc, pool bool, dir string) error {
	var err error
	for i, w := range workers {
		ws, werr := w.wait()
		s.workers, s.cpu = append(s.workers, ws.rss), s.cpu+ws.cpu
		if werr != nil && !pool && err == nil {
			err = fmt.Errorf("worker %d: %w (see %s/w%d/worker.log)", i+1, werr, dir, i+1)
		}
	}
	return err
}

// start starts cmd in dir with its output to log there, measured from
// now.
func start(cmd *exec.Cmd, dir, log string) *proc {
	p := &proc{cmd: cmd, done: make(chan struct{})}
	f, err := os.Create(filepath.Join(dir, log))
	if err != nil {
		p.err = err
		close(p.done)
		return p
	}
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	began := time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		p.err = err
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		f.Close()
		if err != nil {
			p.err = fmt.Errorf("%s: %w", filepath.Base(cmd.Path), err)
		}
		p.s = ended(cmd.ProcessState, time.Since(began))
	}()
	return p
}

// waitAddr waits for the coordinator to write its address, for up to a
// minute (a loaded machine starts a process slowly), or to exit.
func waitAddr(file string, coord *proc) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		exited := false
		select {
		case <-coord.done:
			exited = true
		case <-time.After(10 * time.Millisecond):
		}
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		if exited {
			return "", fmt.Errorf("coordinator exited before listening: %v", coord.err)
		}
	}
	return "", errors.New("coordinator wrote no address in a minute")
}

// startWorkers starts j's workers, each in dir/wN.
func startWorkers(bin string, j job, dir, addr string) []*proc {
	var ps []*proc
	for i := 1; i <= j.workers; i++ {
		arg := j.plugin
		if arg == "" {
			arg = "-insecure-accept-code" // a pool worker on loopback, no secret
		}
		wd := filepath.Join(dir, fmt.Sprintf("w%d", i))
		args := []string{arg}
		if j.data != "" {
			args = []string{"-data", j.data, arg}
		}
		cmd := exec.Command(filepath.Join(bin, "mrworker"), args...)
		cmd.Env = append(os.Environ(), "COORDINATOR_HOST="+addr)
		os.MkdirAll(wd, 0o755) // a failure shows as start's
		ps = append(ps, start(cmd, wd, "worker.log"))
	}
	return ps
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
