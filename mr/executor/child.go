// Child: the worker's side of the app's process. It hands each attempt's
// computation to the child and watches it. A child that exits, crashes,
// makes no progress for the attempt limit or outgrows its memory limit is
// killed and its attempt is an app failure with the reason; the next
// attempt gets a fresh child.

package executor

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

// helloTimeout bounds how long a new child may take to load the plugin
// and say so.
const helloTimeout = 30 * time.Second

// Child computes attempts in a child process started with a command
// (mrworker -executor app.so), restarted after it dies. It is safe for
// concurrent use, but runs one attempt at a time.
type Child struct {
	command  []string
	memLimit atomic.Int64 // resident bytes past which the child is killed; 0: none
	limit    atomic.Int64 // no progress for this long (nanoseconds) kills the child
	tail     *lineKeeper  // the child's output passes through it, its last lines kept

	// mu guards child and env: Close may come from another goroutine.
	mu    sync.Mutex
	child *child   // the running child, nil before the first attempt or after a death
	env   []string // added to the child's environment
}

// NewChild makes an executor that starts command for its child; the
// child's standard output and error go to out.
func NewChild(command []string, out io.Writer) *Child {
	return &Child{command: command, tail: &lineKeeper{w: out}}
}

// SetLimits sets the attempt limit (an attempt whose app code makes no
// progress this long is killed; 0: none) and the memory limit (resident
// bytes; 0: none).
func (e *Child) SetLimits(attempt time.Duration, memory int64) {
	e.limit.Store(int64(attempt))
	e.memLimit.Store(memory)
}

// child is one executor process.
type child struct {
	cmd   *exec.Cmd
	tasks *gob.Encoder
	msgs  chan message  // closed when the child's messages end
	exit  chan struct{} // closed once the process is reaped
	err   error         // Wait's error, once exit is closed
}

// setEnv sets the environment of children started from now on, on top of
// this process's.
func (e *Child) setEnv(env []string) {
	e.mu.Lock()
	e.env = env
	e.mu.Unlock()
}

// Start starts a child now, if none runs, and waits until it has loaded
// the app: a plugin that cannot load is an error at once, in the child's
// own words.
func (e *Child) Start() error {
	_, err := e.current()
	return err
}

// current returns the running child, starting one if there is none.
func (e *Child) current() (*child, error) {
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
func (e *Child) forget(c *child) {
	e.mu.Lock()
	if e.child == c {
		e.child = nil
	}
	e.mu.Unlock()
	c.kill()
}

// start starts a child and its readers, and waits for its hello.
func (e *Child) start() (*child, error) {
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
	e.tail.reset()
	err = cmd.Start()
	taskR.Close()
	msgW.Close()
	if err != nil {
		taskW.Close()
		msgR.Close()
		return nil, fmt.Errorf("executor: starting the app's process: %w", err)
	}
	c := &child{cmd: cmd, tasks: gob.NewEncoder(taskW), msgs: make(chan message, 16), exit: make(chan struct{})}
	go c.read(msgR)
	go func() {
		c.err = cmd.Wait()
		taskW.Close()
		close(c.exit)
	}()
	if err := c.hello(); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// read passes the child's messages on until they end.
func (c *child) read(r io.ReadCloser) {
	defer close(c.msgs)
	defer r.Close()
	dec := gob.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		if dec.Decode(&m) != nil {
			return
		}
		c.msgs <- m
	}
}

// hello waits for the child to say it loaded the app.
func (c *child) hello() error {
	t := time.NewTimer(helloTimeout)
	defer t.Stop()
	select {
	case m, ok := <-c.msgs:
		switch {
		case !ok:
			<-c.exit
			return fmt.Errorf("executor: the app's process ended before loading the app (%v)", c.err)
		case m.Hello == nil:
			return errors.New("executor: the app's process did not say whether it loaded the app")
		case m.Hello.Err != "":
			return errors.New(m.Hello.Err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("executor: the app's process did not load the app within %s", helloTimeout)
	}
}

// kill ends the child, and the processes it started (a streaming job's
// commands, and theirs), and waits for it. It stays in its worker's
// process group, so that a signal to the group (a stop, a kill) reaches
// them all.
func (c *child) kill() {
	select {
	case <-c.exit: // reaped: its pid may be another's now, and its orphans are init's
		return
	default:
	}
	started := descendants(c.cmd.Process.Pid, maxKilled)
	c.cmd.Process.Kill()
	for _, pid := range started {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	<-c.exit
}

// maxKilled bounds the processes of a child's tree that kill finds.
const maxKilled = 1024

// Run computes t in the child, starting one if need be. A child that
// dies, hangs past the attempt limit or outgrows the memory limit fails
// the attempt as the app's failure; ctx ending kills it.
func (e *Child) Run(ctx context.Context, t *Task, progress func(int64)) Result {
	c, err := e.current()
	if err != nil {
		return Result{Err: err.Error()}
	}
	e.tail.reset()
	if err := c.tasks.Encode(t); err != nil {
		return e.died(c, t, 0, "could not be handed to the app's process")
	}
	watch := time.NewTicker(100 * time.Millisecond)
	defer watch.Stop()
	last, input, moved := int64(-1), 0, time.Now()
	for {
		select {
		case m, ok := <-c.msgs:
			switch {
			case !ok:
				return e.died(c, t, input, "")
			case m.Result != nil:
				return *m.Result
			case m.Progress != last || m.Input != input:
				last, input, moved = m.Progress, m.Input, time.Now()
				progress(m.Progress)
			}
		case <-watch.C:
			if limit := time.Duration(e.limit.Load()); limit > 0 && time.Since(moved) > limit {
				return e.killed(c, t, input, fmt.Sprintf("made no progress for %s", limit))
			}
			if mem, rss := e.memLimit.Load(), treeResidentBytes(c.cmd.Process.Pid); mem > 0 && rss > mem {
				return e.killed(c, t, input, fmt.Sprintf("used %d MiB of memory, over the limit of %d MiB", rss>>20, mem>>20))
			}
		case <-ctx.Done():
			e.forget(c)
			return Result{Err: "stopped: " + context.Cause(ctx).Error()}
		}
	}
}

// killed kills a child that misbehaved: its attempt is the app's failure.
func (e *Child) killed(c *child, t *Task, input int, why string) Result {
	e.forget(c)
	return Result{App: true, Err: appCall(t, input) + " " + why + e.tail.last()}
}

// died reports a child that ended by itself: its attempt is the app's
// failure, with the exit status and the app's last words.
func (e *Child) died(c *child, t *Task, input int, why string) Result {
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
	return Result{App: true, Err: appCall(t, input) + " " + status + e.tail.last()}
}

// appCall names the app call an attempt was making: "Map(input-3.txt)"
// for its input'th input. A Task that only finishes its group's map
// output has no input: its calls are Combine's, as the output is written.
func appCall(t *Task, input int) string {
	switch {
	case t.Kind != protocol.MapTask:
		return "Reduce of " + t.Name
	case input >= 0 && input < len(t.Inputs):
		return "Map(" + t.Inputs[input].Name + ")"
	case t.Group != "":
		return "Finishing map output " + t.Group
	}
	return "Map of " + t.Name
}

// exitStatus says how a child ended: "exited with status 3", "was killed
// by signal segmentation fault".
func exitStatus(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "was killed by signal " + ws.Signal().String()
	}
	return "exited with status " + strconv.Itoa(ee.ExitCode())
}

// Close kills the child, if one runs.
func (e *Child) Close() {
	e.mu.Lock()
	c := e.child
	e.child = nil
	e.mu.Unlock()
	if c != nil {
		c.kill()
	}
}

// treeResidentBytes is the resident set size of a process and of the
// processes it started (a streaming job's commands), found through
// /proc's children lists of each of their threads: at most 64
// processes, 0 for those unknown.
func treeResidentBytes(pid int) int64 {
	total := residentBytes(pid)
	for _, p := range descendants(pid, 63) {
		total += residentBytes(p)
	}
	return total
}

// descendants are the processes pid started, and theirs, parents first:
// at most max of them.
func descendants(pid, max int) []int {
	var found []int
	queue := children(pid)
	for len(queue) > 0 && len(found) < max {
		p := queue[0]
		queue = append(queue[1:], children(p)...)
		found = append(found, p)
	}
	return found
}

// children are the processes a process started, by any of its threads.
func children(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, _ := os.ReadDir(dir)
	var kids []int
	for _, t := range tasks {
		b, _ := os.ReadFile(dir + "/" + t.Name() + "/children")
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				kids = append(kids, c)
			}
		}
	}
	return kids
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
			return ": " + protocol.Truncate(l, 300)
		}
	}
	if len(k.lines) == 0 {
		return ""
	}
	return ": " + protocol.Truncate(k.lines[len(k.lines)-1], 300)
}
