// Package markers lets test applications running in different worker
// processes see each other through files in one shared directory.
//
// The test suite runs each worker in its own directory and sets
// MR_MARKER_DIR to a directory they all share; when it is unset the
// current directory is used, as in MIT 6.5840's original test script.
// Marker files are never read, only listed, so they are written directly
// rather than through temp + rename.
package markers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// envDir names the environment variable that holds the marker directory.
const envDir = "MR_MARKER_DIR"

// Dir returns the marker directory: $MR_MARKER_DIR, or "." when it is
// unset or empty.
func Dir() string {
	if d := os.Getenv(envDir); d != "" {
		return d
	}
	return "."
}

// Create creates the empty marker file name in Dir, truncating it if it
// already exists, and returns its path.
func Create(name string) (string, error) {
	path := filepath.Join(Dir(), name)
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		return "", fmt.Errorf("markers: creating %s: %w", path, err)
	}
	return path, nil
}

// Names returns the names of the files in Dir that start with prefix, in
// directory order.
func Names(prefix string) ([]string, error) {
	d := Dir()
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, fmt.Errorf("markers: listing %s: %w", d, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// pidName returns the marker name prefix followed by this process's id.
func pidName(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid())
}

// countLive returns how many distinct live processes have a marker named
// prefix followed by their decimal process id. Names whose remainder is not
// a process id are ignored.
func countLive(prefix string) (int, error) {
	names, err := Names(prefix)
	if err != nil {
		return 0, err
	}
	seen := make(map[int]bool)
	for _, name := range names {
		pid, err := strconv.Atoi(strings.TrimPrefix(name, prefix))
		if err != nil || pid <= 0 || seen[pid] {
			continue
		}
		if alive(pid) {
			seen[pid] = true
		}
	}
	return len(seen), nil
}

// alive reports whether process pid exists. Signal 0 checks for existence
// without delivering anything; EPERM means it exists but is not ours.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Overlap measures how many processes are inside the same phase at once.
// It creates the marker prefix followed by this process's id, counts the
// live processes with such markers, sleeps for d, counts again, removes the
// marker and returns the larger count. Counting at both ends of the sleep
// means two calls whose sleeps overlap at all both see each other: the later
// one at its start, the earlier one at its end. Removing the marker means a
// process counts only while it is inside the phase, so workers that merely
// took turns are not mistaken for parallel ones.
func Overlap(prefix string, d time.Duration) (int, error) {
	path, err := Create(pidName(prefix))
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	before, err := countLive(prefix)
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	after, err := countLive(prefix)
	if err != nil {
		return 0, err
	}
	return max(before, after), nil
}
