package mr

import (
	"os"
	"strings"
	"sync/atomic"
	"syscall"
)

// faults are failures a test asks a worker process to inject, so that the
// suite can check the answers to failures that are hard to cause from
// outside. They come from $MR_FAULTS, a comma-separated list:
//
//	drop-report-reply   the reply to the first ReportMap is lost after the
//	                    coordinator applied it (the worker retries)
//	full-reduce-disk    writing any fetched run fails with ENOSPC, as on a
//	                    full disk (the reducer's own failure)
//
// Unknown names are ignored. Nothing is injected when $MR_FAULTS is unset.
type faults struct {
	dropReportReply atomic.Bool // still to do
	fullReduceDisk  bool
}

func faultsFromEnv() *faults {
	f := &faults{}
	for _, name := range strings.Split(os.Getenv("MR_FAULTS"), ",") {
		switch strings.TrimSpace(name) {
		case "drop-report-reply":
			f.dropReportReply.Store(true)
		case "full-reduce-disk":
			f.fullReduceDisk = true
		}
	}
	return f
}

// dropReply reports whether to lose this reply to method.
func (f *faults) dropReply(method string) bool {
	return method == "ReportMap" && f.dropReportReply.CompareAndSwap(true, false)
}

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
type localWriter struct{ f *os.File }

func (w localWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}
