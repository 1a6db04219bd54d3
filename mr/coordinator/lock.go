package coordinator

// The lock on -out: one coordinator at a time writes into an output
// directory. It is flock(2) on a file in -out that says who holds it, so a
// coordinator that is killed leaves nothing that blocks the next (the
// kernel drops the lock with the process; the next takes the file over),
// and one that ends removes the file, leaving -out holding its outputs
// only.

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
	path := filepath.Join(dir, lockName)
	// A holder that ends removes the file, then unlocks it: a lock taken
	// on a file no longer at path is no lock, and is taken again.
	for range 10 {
		l, err := tryLock(path)
		if l != nil || err != nil {
			return l, err
		}
	}
	return nil, fmt.Errorf("mr: locking the output directory %s: its lock file keeps being replaced", dir)
}

// tryLock locks the file at path: the lock, or an error, or neither when
// the file it locked was removed meanwhile.
func tryLock(path string) (*outLock, error) {
	dir := filepath.Dir(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("mr: output directory %s: %w", dir, unwrapPath(err))
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		holder := lockHolder(f)
		f.Close()
		return nil, fmt.Errorf("mr: -out %s is in use by another coordinator (%s): "+
			"stop it, or give this job another -out", dir, holder)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mr: locking the output directory %s: %w", dir, err)
	}
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, now) {
		f.Close()
		return nil, nil
	}
	f.Truncate(0) // a killed holder's words: "starting" until note
	return &outLock{f: f, path: path}, nil
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

// release removes the lock's file and drops the lock, in that order (see
// lockOut).
func (l *outLock) release() {
	if l != nil {
		os.Remove(l.path)
		l.f.Close()
	}
}
