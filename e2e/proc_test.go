// proc_test.go starts the processes of a job, each in a directory of its
// own with its output in a log file, and waits for them.

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The bounds of a job's processes: far above their usual times, so that
// a loaded machine passes and a hung process fails instead of hanging.
const (
	jobTimeout  = 180 * time.Second // a coordinator's job
	exitTimeout = 30 * time.Second  // the workers, after their coordinator exited
	quickExit   = 20 * time.Second  // a process that must give up at once
)

// proc is one process of a test, started by start.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string        // its stdout and stderr
	done chan struct{} // closed once it exited
}

// start starts name (a binary of binDir, or a path) with args in dir,
// with env added to the test's environment, its output to dir/../NAME.log
// unless logName says otherwise. It is killed, with its process group,
// when the test ends, and killed (Pdeathsig) if the test's process dies
// first: a suite stopped by its timeout leaves no job running.
func start(t testing.TB, logName, dir string, env []string, name string, args ...string) *proc {
	t.Helper()
	bin := name
	if !strings.Contains(name, "/") {
		bin = filepath.Join(binDir, name)
	}
	logFile, err := os.Create(logName)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: strings.TrimSuffix(filepath.Base(logName), ".log"), cmd: cmd, log: logName, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}

// signal sends sig to p's process group (its app processes too).
func (p *proc) signal(sig syscall.Signal) {
	syscall.Kill(-p.cmd.Process.Pid, sig)
}

// exited reports whether p has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits at most d for p to exit and returns its exit status (-1:
// killed by a signal); ok is false when it still runs.
func (p *proc) wait(d time.Duration) (status int, ok bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// lastLine is the last non-empty line of p's log.
func (p *proc) lastLine() string {
	b, _ := os.ReadFile(p.log)
	return lastLine(b)
}

// output is p's log.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// mustExit fails the test unless p exits with status want within d.
func (p *proc) mustExit(t testing.TB, d time.Duration, want int) {
	t.Helper()
	status, ok := p.wait(d)
	switch {
	case !ok:
		t.Fatalf("%s still running after %s", p.name, d)
	case status != want:
		t.Fatalf("%s exited with status %d, want %d: %s", p.name, status, want, p.lastLine())
	}
}

// vmHWM is p's peak resident memory in KiB, read while it runs.
func (p *proc) vmHWM() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			_, err := fmt.Sscan(v, &kib)
			return kib, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
}

// oneLineError runs name with args in dir and wants it to exit non-zero
// within quickExit, printing exactly one line, which names what.
func oneLineError(t *testing.T, what, names, dir string, env []string, name string, args ...string) {
	t.Helper()
	logName := filepath.Join(dir, "..", strings.ReplaceAll(what, " ", "-")+".log")
	p := start(t, logName, dir, env, name, args...)
	status, ok := p.wait(quickExit)
	out := strings.TrimRight(p.output(), "\n")
	switch {
	case !ok:
		t.Errorf("%s: still running after %s", what, quickExit)
	case status == 0:
		t.Errorf("%s: exited 0", what)
	case strings.Count(out, "\n") != 0 || !strings.Contains(out, names):
		t.Errorf("%s: printed %q, want one line naming %s", what, out, names)
	default:
		t.Logf("%s: status %d: %s", what, status, out)
	}
}

// checkLogs fails the test if a log in dir (at any depth) reports a data
// race, and, when the test failed, shows the tails of the logs.
func checkLogs(t testing.TB, dir string) {
	t.Helper()
	var logs []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".log") {
			logs = append(logs, path)
		}
		return nil
	})
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			t.Errorf("data race reported in %s", l)
		}
	}
	if !t.Failed() {
		return
	}
	for i, l := range logs {
		if i >= 12 {
			t.Logf("(%d more logs left out)", len(logs)-i)
			break
		}
		b, _ := os.ReadFile(l)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		lines = lines[max(0, len(lines)-15):]
		t.Logf("==> %s <==\n%s", strings.TrimPrefix(l, dir+"/"), strings.Join(lines, "\n"))
	}
}
