// faults.go: the failures a test may ask a worker to inject
// (mrworker -faults).

package worker

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
)

// Faults are failures a test asks a worker to inject (Config.Faults), so
// that the answers to failures that are hard to cause from outside can be
// checked on real processes. None is set outside tests.
type Faults struct {
	// DropReportReply loses the reply to the worker's first ReportMap
	// after the coordinator applied it; the worker sends it again.
	DropReportReply bool
	// FullReduceDisk makes every write of a fetched run fail with ENOSPC,
	// as on a full disk: the reducer's own failure.
	FullReduceDisk bool
	// SilentStop makes the worker stop, when Run's context ends, as a
	// crashed one would: without telling the coordinator that it leaves,
	// which learns it from its silence (the heartbeat timeout), and with
	// its run-file server closed at once.
	SilentStop bool
}

// ParseFaults reads a comma-separated list of fault names:
// drop-report-reply, full-reduce-disk, silent-stop.
func ParseFaults(list string) (Faults, error) {
	var f Faults
	for _, name := range strings.Split(list, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "drop-report-reply":
			f.DropReportReply = true
		case "full-reduce-disk":
			f.FullReduceDisk = true
		case "silent-stop":
			f.SilentStop = true
		default:
			return f, fmt.Errorf("mr: unknown fault %q (known: drop-report-reply, full-reduce-disk, silent-stop)", name)
		}
	}
	return f, nil
}

// faults are a worker's Faults as it injects them.
type faults struct {
	dropReportReply atomic.Bool // still to do
	fullReduceDisk  bool
	silentStop      bool
}

func newFaults(f Faults) *faults {
	fs := &faults{fullReduceDisk: f.FullReduceDisk, silentStop: f.SilentStop}
	fs.dropReportReply.Store(f.DropReportReply)
	return fs
}

// dropReply reports whether to lose this reply to a map report.
func (f *faults) dropReply() bool { return f.dropReportReply.CompareAndSwap(true, false) }

// diskFull is the error a full disk gives, when injected.
func (f *faults) diskFull() error {
	if f.fullReduceDisk {
		return &os.PathError{Op: "write", Path: "fetched run", Err: syscall.ENOSPC}
	}
	return nil
}

// localError is a failure of this worker's own disk while it fetches: its
// attempt fails, and no map output is blamed.
type localError struct{ err error }

func (e *localError) Error() string { return "mr: this worker's disk: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// localWriter marks the errors of writing to this worker's disk.
type localWriter struct{ w io.Writer }

func (w localWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}
