// stream.go runs a streaming job's commands (Hadoop Streaming's
// contract): each is `sh -c CMD` in the attempt's working directory,
// holding the shipped files, with the job's parameters in its
// environment. It reads lines on stdin and writes lines on stdout: a
// mapper's are "key<TAB>value" (no TAB: the whole line is the key, the
// value empty); a reducer reads "key<TAB>value" lines sorted by key and
// writes output lines, split the same way. A stderr line
// "reporter:counter:GROUP,NAME,AMOUNT" adds AMOUNT to the counter
// "GROUP.NAME"; other stderr goes to the log, bounded. A non-zero exit is
// the app's failure, quoting the last lines of its stderr.

package executor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// Bounds of a command's streams.
const (
	maxStreamLine = 64 << 20  // the longest stdout line, bytes
	stderrLogged  = 64 << 10  // the stderr bytes of one command logged, at most
	pipeBuffer    = 1 << 20   // the kernel's pipe buffer asked for
	streamBuffer  = 256 << 10 // the engine's buffers on each pipe
	stderrTail    = 3         // stderr lines an error quotes
)

// StreamLog is where the stderr lines of streaming commands that are not
// counters go (bounded per command): the app's process's standard error,
// which its worker logs.
var StreamLog io.Writer = os.Stderr

// command is one run of a streaming command.
type command struct {
	role string   // "mapper", "reducer", "combiner"
	line string   // the command line, run with sh -c
	on   string   // what it runs on, for errors: "input a.txt", "reduce-3.a1"
	dir  string   // its working directory
	env  []string // its environment
	tag  string   // prefixes its logged stderr lines: the attempt
}

// run runs c, feed writing its stdin and out taking each stdout line
// (without its newline). A non-zero exit is an *AppError quoting the
// last stderr lines; out's error kills the command and is returned.
func (c *command) run(feed func(w *bufio.Writer) error, out func(line []byte) error) error {
	cmd := exec.Command("sh", "-c", c.line)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdin = inR
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		var stderr io.ReadCloser
		if stderr, err = cmd.StderrPipe(); err == nil {
			err = c.start(cmd, inR, inW, stdout, stderr, feed, out)
		}
	}
	inR.Close()
	inW.Close()
	return err
}

// start starts cmd and streams its pipes until it ends.
func (c *command) start(cmd *exec.Cmd, inR, inW *os.File, stdout, stderr io.ReadCloser,
	feed func(w *bufio.Writer) error, out func(line []byte) error) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mr: starting the %s: %w", c.role, err)
	}
	inR.Close()
	growPipe(inW)
	var tail stderrKeeper
	var wg sync.WaitGroup
	wg.Go(func() { tail.read(stderr, c.tag, c.role) })
	var feedErr error
	wg.Go(func() {
		bw := bufio.NewWriterSize(inW, streamBuffer)
		feedErr = feed(bw)
		if feedErr == nil {
			feedErr = bw.Flush()
		}
		inW.Close()
		if errors.Is(feedErr, syscall.EPIPE) || errors.Is(feedErr, os.ErrClosed) {
			feedErr = nil // it did not read all its input: its exit status says whether that is wrong
		}
	})
	outErr := eachLine(bufio.NewReaderSize(stdout, streamBuffer), out)
	if outErr != nil { // what it wrote is refused: it ends, and what it started dies writing
		cmd.Process.Kill()
		stdout.Close()
	}
	wg.Wait()
	waitErr := cmd.Wait()
	switch {
	case outErr != nil:
		return outErr
	case waitErr != nil:
		return &AppError{fmt.Sprintf("the %s %s on %s %s%s", c.role, quoteCommand(c.line), c.on, howEnded(waitErr), tail.last())}
	}
	return feedErr
}

// howEnded says how a command that failed ended.
func howEnded(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitStatus(ee)
	}
	return "failed: " + err.Error()
}

// quoteCommand is a command as an error names it: in backquotes, at most
// 80 bytes of it.
func quoteCommand(line string) string {
	return "`" + protocol.Truncate(strings.Join(strings.Fields(line), " "), 80) + "`"
}

// growPipe asks for a larger kernel buffer on a pipe (F_SETPIPE_SZ), so
// that the engine and the command trade large writes; it may be refused.
func growPipe(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Syscall(syscall.SYS_FCNTL, fd, 1031, pipeBuffer) })
	}
}

// eachLine calls f on each line read from r, without its newline; the
// last line counts without one. A line longer than maxStreamLine is an
// *AppError.
func eachLine(r *bufio.Reader, f func(line []byte) error) error {
	var long []byte
	for {
		b, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if long = append(long, b...); len(long) > maxStreamLine {
				return &AppError{fmt.Sprintf("a line of more than %d bytes on stdout", maxStreamLine)}
			}
			continue
		}
		if long != nil {
			b, long = append(long, b...), nil
		}
		if len(b) > 0 {
			if ferr := f(bytes.TrimSuffix(b, []byte{'\n'})); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// splitTab cuts a line at its first TAB: the key before, the value after;
// a line without one is all key.
func splitTab(line []byte) (key, value []byte) {
	if i := bytes.IndexByte(line, '\t'); i >= 0 {
		return line[:i], line[i+1:]
	}
	return line, nil
}

// stderrKeeper reads a command's stderr: counters counted, the rest
// logged up to stderrLogged bytes, the last lines kept for an error.
type stderrKeeper struct {
	lines   []string // the last stderrTail lines that were no counter
	logged  int64
	dropped int64
}

// read reads r to its end.
func (k *stderrKeeper) read(r io.Reader, tag, role string) {
	br := bufio.NewReaderSize(r, 64<<10)
	skip := false // the rest of a line too long to keep
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 && !skip {
			k.line(b, tag)
		}
		skip = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !skip {
			break
		}
	}
	if k.dropped > 0 {
		fmt.Fprintf(StreamLog, "%s: the %s wrote %d more bytes on stderr, not logged\n", tag, role, k.dropped)
	}
}

// line takes one stderr line.
func (k *stderrKeeper) line(b []byte, tag string) {
	s := strings.TrimRight(string(b), "\r\n")
	if counter(s) {
		return
	}
	if t := strings.TrimSpace(s); t != "" && !strings.HasPrefix(t, "reporter:status:") {
		k.lines = append(k.lines, protocol.Truncate(t, 200))
		if len(k.lines) > stderrTail {
			k.lines = k.lines[1:]
		}
	}
	n := int64(len(tag) + len(s) + 3)
	if k.logged+n > stderrLogged {
		k.dropped += int64(len(b))
		return
	}
	k.logged += n
	fmt.Fprintf(StreamLog, "%s: %s\n", tag, s)
}

// last is ": " and the last stderr lines, joined by " | ", or "".
func (k *stderrKeeper) last() string {
	if len(k.lines) == 0 {
		return ""
	}
	return ": " + strings.Join(k.lines, " | ")
}

// counter counts a line "reporter:counter:GROUP,NAME,AMOUNT" into the
// counter "GROUP.NAME" of the running attempt, and says whether it was one.
func counter(s string) bool {
	rest, ok := strings.CutPrefix(s, "reporter:counter:")
	if !ok {
		return false
	}
	group, rest, ok1 := strings.Cut(rest, ",")
	i := strings.LastIndexByte(rest, ',')
	if !ok1 || i < 0 {
		return false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(rest[i+1:]), 10, 64)
	if err != nil {
		return false
	}
	mr.Counter(group + "." + rest[:i]).Add(n)
	return true
}

// streamEnv is a command's environment: this process's, the job's
// parameters under their names (each character other than a letter, a
// digit or '_' made '_', as Hadoop makes its job's properties), and the
// task's variables.
func streamEnv(params map[string]string, vars ...string) []string {
	env := os.Environ()
	for name, value := range params {
		env = append(env, envName(name)+"="+value)
	}
	return append(env, vars...)
}

// envName is a parameter's name as an environment variable.
func envName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

// workDir makes the attempt's working directory, holding links to the
// shipped files by name (with copies, copies the commands may run, as a
// worker's kept files are); done removes it.
func workDir(dir string, files map[string]string, copies bool) (string, func(), error) {
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "mr-stream-")
	} else {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return "", nil, fmt.Errorf("mr: the command's working directory: %w", err)
	}
	done := func() { os.RemoveAll(dir) }
	for name, path := range files {
		if err := protocol.CheckFileName(name); err != nil {
			done()
			return "", nil, err
		}
		abs, err := filepath.Abs(path)
		switch {
		case err == nil && copies:
			err = copyFile(abs, filepath.Join(dir, name))
		case err == nil:
			err = os.Symlink(abs, filepath.Join(dir, name))
		}
		if err != nil {
			done()
			return "", nil, fmt.Errorf("mr: the command's working directory: %w", err)
		}
	}
	return dir, done, nil
}

// copyFile copies from to a new file to, which its owner may run.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
