// proc.go: a process on a host of the LAN, in a private tmpfs of its own.

package lan

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// TmpfsSize limits each process's private tmpfs.
const TmpfsSize = "2g"

// private runs inside the host's namespaces (bash, as
// private FS PIDFILE STAGE OUT COLLECT RESTORE CMD...): it mounts a fresh
// tmpfs on FS (an empty directory), makes it the current directory,
// $TMPDIR and $HOME, moves STAGE's files in, and RESTORE's (if any) into
// COLLECT; runs CMD, writes its pid to PIDFILE, passes TERM and INT on and
// waits for it (so nothing is orphaned); then copies COLLECT (if any) to
// OUT and exits with CMD's status. Only that copy ever leaves the tmpfs.
const private = `fs=$1 pidfile=$2 stage=$3 out=$4 collect=$5 restore=$6
shift 6
mount -t tmpfs -o "size=$MRLAN_TMPFS,mode=0755" mrlan "$fs" || exit 125
cd "$fs" && mkdir tmp && cp -pR "$stage"/. . && rm -rf "$stage" || exit 125
export TMPDIR=$fs/tmp HOME=$fs
if [[ -n $restore ]]; then mkdir -p "$collect" && cp -pR "$restore"/. "$collect"/ || exit 125; fi
"$@" </dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
echo $pid >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
while kill -0 $pid 2>/dev/null; do wait $pid; done
wait $pid
rc=$?
if [[ -n $collect && -d $collect ]]; then mkdir -p "$out" && cp -pR "$collect"/. "$out"/; fi
exit $rc`

// Spec is a process to start on a host.
type Spec struct {
	Args    []string          // the command (an absolute path) and its arguments
	Env     []string          // added to this process's environment
	Files   map[string]string // NAME (relative) in the private directory -> a file here to copy there
	Text    map[string]string // NAME -> contents of a file written there
	Collect string            // a directory of the private one, copied to Proc.Out when the process exits
	Restore string            // a directory here whose files go into Collect before the start
	Timeout time.Duration     // the process's deadline (default 5 minutes)
	Log     string            // the log's name in the LAN's directory (default hostH.log)
}

// Proc is a process started by Start.
type Proc struct {
	Host int
	Log  string // its standard output and error
	Out  string // where its Collect directory is copied when it exits
	FS   string // its private directory's mount point (empty from outside)

	cmd     *exec.Cmd
	pidFile string
	done    chan struct{}
	pid     atomic.Int64 // the process's own pid, once read
}

// Start starts spec on host h: under timeout(1), in the host's network
// namespace and a private mount namespace with a fresh tmpfs as its
// directory. It returns once the wrapper runs; Pid waits for the process.
func (l *LAN) Start(h int, spec Spec) (*Proc, error) {
	if h < 0 || h >= l.Hosts || len(spec.Args) == 0 {
		return nil, fmt.Errorf("lan: no host %d, or no command", h)
	}
	n := seq.Add(1)
	stage := l.path(fmt.Sprintf("host%d.stage-%d", h, n))
	if err := stageFiles(stage, spec); err != nil {
		return nil, err
	}
	p := &Proc{Host: h, Log: l.path(cmp.Or(spec.Log, fmt.Sprintf("host%d.log", h))), Out: l.path(fmt.Sprintf("host%d.out", h)),
		FS: l.path(fmt.Sprintf("host%d.fs", h)), pidFile: l.path(fmt.Sprintf("host%d.pid-%d", h, n)), done: make(chan struct{})}
	if err := os.MkdirAll(p.FS, 0o755); err != nil {
		return nil, fmt.Errorf("lan: %w", err)
	}
	log, err := os.Create(p.Log)
	if err != nil {
		return nil, fmt.Errorf("lan: %w", err)
	}
	defer log.Close()
	p.cmd = l.command(h, p, stage, spec)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("lan: %s is closed", l.Name)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("lan: starting %s on host %d: %w", filepath.Base(spec.Args[0]), h, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	l.procs = append(l.procs, p)
	return p, nil
}

// command is p's command line: timeout(1), ip netns exec, unshare, then
// the private script around spec.Args. Its process group is its own.
func (l *LAN) command(h int, p *Proc, stage string, spec Spec) *exec.Cmd {
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	args := []string{"-k", "2", strconv.Itoa(int(timeout.Seconds() + 0.999)), "ip", "netns", "exec", l.NS(h),
		"unshare", "--mount", "--propagation", "private", "bash", "-c", private, fmt.Sprintf("lan-host%d", h),
		p.FS, p.pidFile, stage, p.Out, spec.Collect, spec.Restore}
	cmd := exec.Command("timeout", append(args, spec.Args...)...)
	cmd.Env = append(append(os.Environ(), "MRLAN_TMPFS="+TmpfsSize), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// stageFiles puts spec's files in stage, a directory the process copies
// into its private one: hard links where it can (cp -p then keeps the
// files' times), copies where it cannot.
func stageFiles(stage string, spec Spec) error {
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return fmt.Errorf("lan: %w", err)
	}
	for name, src := range spec.Files {
		dst, err := inside(stage, name)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if os.Link(src, dst) != nil {
			if err := copyFile(src, dst); err != nil {
				return err
			}
		}
	}
	for name, text := range spec.Text {
		dst, err := inside(stage, name)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, []byte(text), 0o644); err != nil {
			return fmt.Errorf("lan: %w", err)
		}
	}
	return nil
}

// inside is name (a relative path that stays below dir) in dir.
func inside(dir, name string) (string, error) {
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("lan: %q is not a relative path below the private directory", name)
	}
	return filepath.Join(dir, name), nil
}

// copyFile copies src to dst, keeping its mode and modification time.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("lan: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("lan: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return fmt.Errorf("lan: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("lan: copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("lan: %w", err)
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// Pid is the process's own pid (not its wrappers'), waiting up to 5 s for
// it to start. Signals sent to it reach that process only.
func (p *Proc) Pid() (int, error) {
	for deadline := time.Now().Add(5 * time.Second); ; {
		if pid := p.knownPid(); pid > 0 {
			return pid, nil
		}
		select {
		case <-p.done:
			return 0, fmt.Errorf("lan: host %d's process exited before it started: %s", p.Host, p.LastLine())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("lan: host %d's process did not start within 5 s", p.Host)
		}
	}
}

// knownPid is the pid the wrapper wrote, or 0.
func (p *Proc) knownPid() int {
	if pid := p.pid.Load(); pid > 0 {
		return int(pid)
	}
	b, _ := os.ReadFile(p.pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	p.pid.Store(int64(pid))
	return pid
}

// Signal sends sig to the process itself.
func (p *Proc) Signal(sig syscall.Signal) error {
	pid, err := p.Pid()
	if err != nil {
		return err
	}
	return syscall.Kill(pid, sig)
}

// signalGroup sends sig to the process and its wrappers.
func (p *Proc) signalGroup(sig syscall.Signal) { syscall.Kill(-p.cmd.Process.Pid, sig) }

// Done is closed once the process and its wrappers exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits at most d for the process to exit and returns its exit
// status (124 or 137 when it timed out, 128+N when killed by signal N);
// ok is false when it still runs.
func (p *Proc) Wait(d time.Duration) (status int, ok bool) {
	if !p.Exited() {
		t := time.NewTimer(max(d, 0))
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			return 0, false
		}
	}
	ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ws.ExitStatus(), true
}

// Output is the process's log.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// LastLine is the last non-empty line of the process's log.
func (p *Proc) LastLine() string {
	lines := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return ""
}
