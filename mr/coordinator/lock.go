// lock.go: the lock on -out: one coordinator at a time writes into an
// output directory. It is flock(2) on a file in -out, so a coordinator
// that is killed leaves nothing that blocks the next: the kernel drops
// the lock with the process. A coordinator that ends removes the file
// while it still holds the lock, and one that takes the lock checks
// that the file it locked is still the one the name gives (else it
// locked a file just removed, and tries again): -out holds no lock file
// after a job.

package coordinator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockName is the lock's file in -out; it holds who holds it.
const lockName = ".mr-coordinator.lock"

// outLock is a held lock on an output directory; nil holds none.
type outLock struct {
	f    *os.File
	path string
}

// lockOut takes the lock on dir at once, or says in one line which
// coordinator holds it.
func lockOut(dir string) (*outLock, error) {
	for {
		l, stale, err := tryLock(dir)
		if !stale {
			return l, err
		}
	}
}

// tryLock is one try of lockOut: stale when the file it locked was
// removed by the holder that ended meanwhile.
func tryLock(dir string) (l *outLock, stale bool, err error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("mr: output directory %s: %w", dir, unwrapPath(err))
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		holder := lockHolder(f)
		f.Close()
		return nil, false, fmt.Errorf("mr: -out %s is in use by another coordinator (%s): "+
			"stop it, or give this job another -out", dir, holder)
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("mr: locking the output directory %s: %w", dir, err)
	}
	if !stillNamed(f, path) {
		f.Close()
		return nil, true, nil
	}
	return &outLock{f: f, path: path}, false, nil
}

// stillNamed reports whether path names the open file f.
func stillNamed(f *os.File, path string) bool {
	held, err1 := f.Stat()
	named, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(held, named)
}

// lockHolder is what the holder wrote in the lock: "pid 4242, listening
// on 127.0.0.1:1234 since 10:21:07".
func lockHolder(f *os.File) string {
	b, _ := io.ReadAll(io.LimitReader(f, 256))
	if s := strings.TrimSpace(string(bytes.ToValidUTF8(b, nil))); s != "" && !strings.ContainsAny(s, "\n\r") {
		return s
	}
	return "starting"
}

// note writes who holds the lock, for the next coordinator's refusal.
func (l *outLock) note(addr string) {
	if l == nil {
		return
	}
	s := "pid " + strconv.Itoa(os.Getpid()) + ", listening on " + addr + " since " + time.Now().Format(time.TimeOnly)
	if l.f.Truncate(0) == nil {
		l.f.WriteAt([]byte(s+"\n"), 0)
	}
}

// release removes the lock's file and drops the lock, in that order: a
// coordinator that opened the file meanwhile finds it removed once it
// gets the lock, and tries again.
func (l *outLock) release() {
	if l != nil {
		os.Remove(l.path)
		l.f.Close()
	}
}
