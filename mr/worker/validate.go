package worker

// Checks of what the coordinator sends, applied before anything of it is
// used: a broken or hostile coordinator must not make a worker panic or
// misbehave.

import (
	"fmt"

	"mapreduce/internal/protocol"
)

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
	case t.Action == protocol.ActMap || len(t.Inputs) > 0: // a map-only job's tasks read splits too
		return checkInputs(t.Inputs)
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
		if err := protocol.CheckAddr(o); err != nil {
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
	return protocol.CheckAddr(loc.Addr)
}

// checkInputs checks a map task's input: one piece at least, none of a
// negative size, 1 TiB in all at most.
func checkInputs(in []protocol.Split) error {
	if len(in) == 0 {
		return fmt.Errorf("mr: bad assignment: a map task without input")
	}
	var total int64
	for _, p := range in {
		if p.Offset < 0 || p.Length < 0 || p.Length > 1<<40 {
			return fmt.Errorf("mr: bad assignment: split of %d bytes at %d", p.Length, p.Offset)
		}
		total += p.Length
	}
	if total > 1<<40 {
		return fmt.Errorf("mr: bad assignment: input of %d bytes", total)
	}
	return nil
}
