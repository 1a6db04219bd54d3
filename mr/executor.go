package mr

// The worker's side of the executor: it hands each attempt's computation
// to the app's process and watches it. A child that exits, crashes, makes
// no progress for the attempt limit or outgrows its memory limit is killed
// and its attempt is an app failure with the reason; the next attempt gets
// a fresh child.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mapreduce/internal/protocol"
)

// executor computes attempts. progress is called with a counter that
// grows while the attempt advances.
type executor interface {
	run(ctx context.Context, t *execTask, progress func(int64)) execResult
	close()
}

// inProcess computes attempts in the worker's own process: for tests, and
// for apps given as Go values rather than plugins. An app that hangs or
// exits takes the worker with it.
type inProcess struct{ app *App }

func (e inProcess) run(_ context.Context, t *execTask, progress func(int64)) execResult {
	var p atomic.Int64
	res := runTask(e.app, t, &p)
	progress(p.Load())
	return res
}

func (inProcess) close() {}

// childExecutor computes attempts in a child process started with command,
// restarted after it dies.
type childExecutor struct {
	command  []string
	memLimit int64        // resident bytes past which the child is killed; 0: none
	limit    atomic.Int64 // no progress for this long (nanoseconds) kills the child
	tail     *lineKeeper  // the child's output passes through it, its last lines kept

	// mu guards child and env: close may come from another goroutine.
	mu    sync.Mutex
	child *child   // the running child, nil before the first attempt or after a death
	env   []string // added to the child's environment
}

// child is one executor process.
type child struct {
	cmd   *exec.Cmd
	tasks *gob.Encoder
	msgs  chan execMsg  // closed when the child's messages end
	exit  chan struct{} // closed once the process is reaped
	err   error         // Wait's error, once exit is closed
}

func (e *childExecutor) setLimit(d time.Duration) { e.limit.Store(int64(d)) }

// setEnv sets the environment of children started from now on.
func (e *childExecutor) setEnv(env []string) {
	e.mu.Lock()
	e.env = env
	e.mu.Unlock()
}

// current returns the running child, starting one if there is none.
func (e *childExecutor) current() (*child, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.child == nil {
		c, err := e.start()
		if err != nil {
			return nil, err
		}
		e.child = c
	}
	return e.child, nil
}

// forget drops c as the running child, if it still is, and kills it.
func (e *childExecutor) forget(c *child) {
	e.mu.Lock()
	if e.child == c {
		e.child = nil
	}
	e.mu.Unlock()
	c.kill()
}

// start starts a child and its readers.
func (e *childExecutor) start() (*child, error) {
	taskR, taskW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		taskR.Close()
		taskW.Close()
		return nil, err
	}
	cmd := exec.Command(e.command[0], e.command[1:]...)
	cmd.Env = append(os.Environ(), e.env...)
	cmd.ExtraFiles = []*os.File{taskR, msgW} // fds 3 and 4
	cmd.Stdout, cmd.Stderr = e.tail, e.tail
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	taskR.Close()
	msgW.Close()
	if err != nil {
		taskW.Close()
		msgR.Close()
		return nil, fmt.Errorf("mr: starting the executor: %w", err)
	}
	c := &child{cmd: cmd, tasks: gob.NewEncoder(taskW), msgs: make(chan execMsg, 16), exit: make(chan struct{})}
	go func() {
		defer close(c.msgs)
		defer msgR.Close()
		dec := gob.NewDecoder(bufio.NewReader(msgR))
		for {
			var m execMsg
			if dec.Decode(&m) != nil {
				return
			}
			c.msgs <- m
		}
	}()
	go func() {
		c.err = cmd.Wait()
		taskW.Close()
		close(c.exit)
	}()
	return c, nil
}

// kill ends the child and waits for it.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exit
}

func (e *childExecutor) run(ctx context.Context, t *execTask, progress func(int64)) execResult {
	c, err := e.current()
	if err != nil {
		return execResult{Err: err.Error()}
	}
	e.tail.reset()
	if err := c.tasks.Encode(t); err != nil {
		return e.died(c, t, "could not be handed to the executor")
	}
	watch := time.NewTicker(100 * time.Millisecond)
	defer watch.Stop()
	last, moved := int64(-1), time.Now()
	for {
		select {
		case m, ok := <-c.msgs:
			switch {
			case !ok:
				return e.died(c, t, "")
			case m.Result != nil:
				return *m.Result
			case m.Progress != last:
				last, moved = m.Progress, time.Now()
				progress(m.Progress)
			}
		case <-watch.C:
			if limit := time.Duration(e.limit.Load()); limit > 0 && time.Since(moved) > limit {
				return e.killed(c, t, fmt.Sprintf("made no progress for %s", limit))
			}
			if rss := residentBytes(c.cmd.Process.Pid); e.memLimit > 0 && rss > e.memLimit {
				return e.killed(c, t, fmt.Sprintf("used %d MiB of memory, over the limit of %d MiB", rss>>20, e.memLimit>>20))
			}
		case <-ctx.Done():
			e.forget(c)
			return execResult{Err: "stopped: " + context.Cause(ctx).Error()}
		}
	}
}

// killed kills a child that misbehaved: its attempt is the app's failure.
func (e *childExecutor) killed(c *child, t *execTask, why string) execResult {
	e.forget(c)
	return execResult{App: true, Err: appCall(t) + " " + why + e.tail.last()}
}

// died reports a child that ended by itself: its attempt is the app's
// failure, with the exit status and the app's last words.
func (e *childExecutor) died(c *child, t *execTask, why string) execResult {
	select {
	case <-c.exit:
	case <-time.After(5 * time.Second):
	}
	e.forget(c)
	status := "ended"
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		status = exitStatus(ee)
	}
	if why != "" {
		status += " (" + why + ")"
	}
	return execResult{App: true, Err: appCall(t) + " " + status + e.tail.last()}
}

// appCall names the app call an attempt makes: "Map(input-3.txt)".
func appCall(t *execTask) string {
	if t.Kind == protocol.MapTask {
		return "Map(" + t.Input + ")"
	}
	return "Reduce of " + t.Name
}

// exitStatus says how a child ended: "exited with status 3", "was killed
// by signal segmentation fault".
func exitStatus(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "was killed by signal " + ws.Signal().String()
	}
	return "exited with status " + strconv.Itoa(ee.ExitCode())
}

func (e *childExecutor) close() {
	e.mu.Lock()
	c := e.child
	e.child = nil
	e.mu.Unlock()
	if c != nil {
		c.kill()
	}
}

// residentBytes is a process's resident set size, 0 if unknown.
func residentBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// lineKeeper passes a child's output through to w and keeps its last
// lines, so a failure can quote the app's last words (a panic's first line
// rather than the stack below it).
type lineKeeper struct {
	w io.Writer

	// mu guards lines and partial.
	mu      sync.Mutex
	lines   []string // the last few complete lines
	partial []byte
}

func (k *lineKeeper) Write(p []byte) (int, error) {
	k.mu.Lock()
	k.partial = append(k.partial, p...)
	for {
		i := bytes.IndexByte(k.partial, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(k.partial[:i])); line != "" {
			k.lines = append(k.lines, line)
			if len(k.lines) > 64 {
				k.lines = k.lines[len(k.lines)-64:]
			}
		}
		k.partial = k.partial[i+1:]
	}
	if len(k.partial) > 4096 {
		k.partial = k.partial[:0]
	}
	k.mu.Unlock()
	return k.w.Write(p)
}

func (k *lineKeeper) reset() {
	k.mu.Lock()
	k.lines, k.partial = nil, nil
	k.mu.Unlock()
}

// last is ": " and the app's most telling last line (a panic or fatal
// error if there is one), or "" if it said nothing.
func (k *lineKeeper) last() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range k.lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return ": " + truncate(l, 300)
		}
	}
	if len(k.lines) == 0 {
		return ""
	}
	return ": " + truncate(k.lines[len(k.lines)-1], 300)
}
