// Package profile writes a CPU profile of a command, for its -cpuprofile
// flag: where a job's time goes, read with go tool pprof.
package profile

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// Start profiles the process's CPU into path ("" does nothing) and
// returns what stops it and completes the file; it is safe to call more
// than once.
func Start(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	done := false
	return func() {
		if !done {
			done = true
			pprof.StopCPUProfile()
			f.Close()
		}
	}, nil
}
