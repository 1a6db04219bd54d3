// concat.go: a concatenated job's final output (total order, map-only)
// written while the job runs: each committed mr-out-Y is appended to
// mr-<app>-all's temp file as soon as every output before it is in, so
// that the job's end copies only the outputs committed last, rather than
// all of them on one core while the others wait.

package coordinator

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"mapreduce/internal/atomicfile"
)

// appender appends committed outputs, in task order, to the final output.
type appender struct {
	dir  string        // -out
	name func() string // the final output's path, once the app is known

	// mu guards the rest; the copier, the one goroutine copying at a
	// time (copying), touches out without it.
	mu      sync.Mutex
	idle    sync.Cond // broadcast when the copier stops
	in      []bool    // the outputs committed, by task
	next    int       // the next output to append: all before it are
	copying bool
	halted  bool // the job is over without its final output: copy nothing more
	out     *atomicfile.File
	err     error
}

// newAppender appends the n outputs mr-out-Y of dir to the file name
// names.
func newAppender(dir string, name func() string, n int) *appender {
	a := &appender{dir: dir, name: name, in: make([]bool, n)}
	a.idle.L = &a.mu
	return a
}

// committed notes that output r is in place, and reports whether the
// caller is now the copier: it then calls copyReady.
func (a *appender) committed(r int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noteLocked(r)
	if a.copying || !a.readyLocked() {
		return false
	}
	a.copying = true
	return true
}

// recovered notes that output r was in place when the job started again.
func (a *appender) recovered(r int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noteLocked(r)
}

func (a *appender) noteLocked(r int) {
	if r >= 0 && r < len(a.in) {
		a.in[r] = true
	}
}

// readyLocked reports whether the next output can be appended.
func (a *appender) readyLocked() bool {
	return a.err == nil && !a.halted && a.next < len(a.in) && a.in[a.next]
}

// copyReady, run by the copier, appends the outputs ready, in order,
// until the next one is not in; then there is no copier.
func (a *appender) copyReady() {
	for {
		a.mu.Lock()
		if !a.readyLocked() {
			a.copying = false
			a.idle.Broadcast()
			a.mu.Unlock()
			return
		}
		r := a.next
		a.mu.Unlock()
		err := a.append(r)
		a.mu.Lock()
		if err != nil {
			a.err = fmt.Errorf("mr: final output, mr-out-%d: %w", r, err)
		} else {
			a.next++
		}
		a.mu.Unlock()
	}
}

// copyChunk bounds each copy, so that a halt stops the copier soon even
// within a large output.
const copyChunk = 64 << 20

// append appends output r to the final output, whose temp file it makes
// first if need be; its write-out to disk starts after each chunk, so
// that the fsync at the job's end waits for little.
func (a *appender) append(r int) error {
	if a.out == nil {
		out, err := atomicfile.Create(a.name())
		if err != nil {
			return err
		}
		a.out = out
	}
	f, err := os.Open(filepath.Join(a.dir, outputName(r)))
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		// (*os.File).ReadFrom copies a file's chunk in the kernel
		// (copy_file_range) where it can.
		_, err := io.CopyN(a.out.File, f, copyChunk)
		atomicfile.StartWriteback(a.out.File, 0, 0)
		switch {
		case errors.Is(err, io.EOF): // less than a chunk was left
			return nil
		case err != nil:
			return err
		}
		a.mu.Lock()
		halted := a.halted
		a.mu.Unlock()
		if halted {
			return errHalted
		}
	}
}

// errHalted is a copy stopped because the job ended without it.
var errHalted = errors.New("the job ended")

// finish waits for the copier, appends what is left and commits the
// final output; it fails if an output is missing or could not be copied.
func (a *appender) finish() error {
	a.mu.Lock()
	for a.copying {
		a.idle.Wait()
	}
	a.copying = true
	a.mu.Unlock()
	a.copyReady()
	a.mu.Lock()
	err, next, halted := a.err, a.next, a.halted
	a.mu.Unlock()
	switch {
	case halted:
		return errHalted
	case err != nil:
		return err
	case next < len(a.in):
		return fmt.Errorf("mr: final output: mr-out-%d is not in", next)
	}
	if a.out == nil { // no output at all (no map task)
		out, err := atomicfile.Create(a.name())
		if err != nil {
			return err
		}
		a.out = out
	}
	return a.out.Commit()
}

// halt makes the copier stop at its next chunk: the job ended without
// its final output. Shutdown calls it before waiting for the copier.
func (a *appender) halt() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.halted = true
}

// abort removes the final output's temp file, unless finish committed
// it; called once nothing copies any more.
func (a *appender) abort() {
	if a.out != nil {
		a.out.Abort()
	}
}
