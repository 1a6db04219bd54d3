package mr

// Checks of what peers send, applied before anything of it is used. The
// coordinator checks workers' registrations and reports; a worker checks
// the assignments it is given.

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"mapreduce/internal/protocol"
)

// appNamePattern is what an app name may look like: it becomes part of
// output file names (mr-<app>-all), so nothing path-like gets through.
var appNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ErrBadAppName refuses an app name that could not name a file safely.
var ErrBadAppName = errors.New("mr: app names are 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")

func checkAppName(name string) error {
	if !appNamePattern.MatchString(name) {
		return fmt.Errorf("%w: %q", ErrBadAppName, truncate(name, 80))
	}
	return nil
}

// checkAddr accepts host:port with a non-empty host, a port from 1 to
// 65535, at most 262 bytes in all.
func checkAddr(addr string) error {
	if len(addr) > 262 {
		return fmt.Errorf("mr: address of %d bytes is too long", len(addr))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("mr: bad address %q: %w", truncate(addr, 80), err)
	}
	p, err := strconv.Atoi(port)
	if host == "" || err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("mr: bad address %q: want host:port", truncate(addr, 80))
	}
	return nil
}

// maxErrText bounds the error text a worker's failure report may carry.
const maxErrText = 512

// truncate cuts s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// checkAssignment checks an assignment before a worker acts on it, so that
// a broken or hostile coordinator cannot make it panic or misbehave.
func checkAssignment(t *protocol.GetTaskReply) error {
	switch {
	case t.NMap < 0 || t.NReduce < 1 || t.NReduce > 1<<20 || t.Attempt < 1:
		return fmt.Errorf("mr: bad assignment: %d maps, %d reduces, attempt %d", t.NMap, t.NReduce, t.Attempt)
	case t.Action == protocol.ActMap && (t.Task < 0 || t.Task >= t.NMap):
		return fmt.Errorf("mr: bad assignment: map task %d of %d", t.Task, t.NMap)
	case t.Action == protocol.ActReduce && (t.Task < 0 || t.Task >= t.NReduce):
		return fmt.Errorf("mr: bad assignment: reduce task %d of %d", t.Task, t.NReduce)
	case t.Action == protocol.ActMap && (t.Split.Offset < 0 || t.Split.Length < 0 || t.Split.Length > 1<<40):
		return fmt.Errorf("mr: bad assignment: split of %d bytes at %d", t.Split.Length, t.Split.Offset)
	}
	return nil
}

// sourceMap is where every map output is, as a reducer knows it.
type sourceMap struct {
	version int
	owners  []string
	maps    []protocol.MapSource
}

// unpackSources checks and unpacks where a reducer is told every map
// output is.
func unpackSources(src *protocol.SourcesReply, nMap int) (*sourceMap, error) {
	for _, o := range src.Owners {
		if err := checkAddr(o); err != nil {
			return nil, fmt.Errorf("mr: bad sources: %w", err)
		}
	}
	maps, err := protocol.UnpackSources(src.Maps, nMap, len(src.Owners))
	if err != nil {
		return nil, fmt.Errorf("mr: bad %w", err)
	}
	return &sourceMap{version: src.Version, owners: src.Owners, maps: maps}, nil
}

// checkLocation checks where a reducer is told one map output is.
func checkLocation(loc protocol.Location) error {
	if loc.Map < 0 || loc.Attempt < 1 {
		return fmt.Errorf("map %d attempt %d", loc.Map, loc.Attempt)
	}
	return checkAddr(loc.Addr)
}
