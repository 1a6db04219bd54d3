// Checks of what the coordinator sends, applied before anything of it is
// used: a broken or hostile coordinator must not make a worker panic or
// misbehave.

package worker

import (
	"fmt"

	"mapreduce/internal/manifest"
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
	case len(t.Batch) > 0:
		return checkBatch(t)
	case t.Action == protocol.ActMap || len(t.Inputs) > 0: // a map-only job's tasks read splits too
		if err := checkInputs(t.Inputs); err != nil {
			return err
		}
		return checkSources(t)
	}
	return nil
}

// checkBatch checks a batch of reduce attempts: at most
// protocol.MaxReduceBatch in all and protocol.MaxBatchRuns runs to
// fetch, each a distinct task in range.
func checkBatch(t *protocol.GetTaskReply) error {
	n := len(t.Batch) + 1
	if t.Action != protocol.ActReduce || len(t.Inputs) > 0 || n > protocol.MaxReduceBatch || n*t.NMap > protocol.MaxBatchRuns {
		return fmt.Errorf("mr: bad assignment: a batch of %d %s tasks over %d maps", n, t.Action, t.NMap)
	}
	seen := map[int]bool{t.Task: true}
	for _, b := range t.Batch {
		if b.Task < 0 || b.Task >= t.NReduce || b.Attempt < 1 || seen[b.Task] {
			return fmt.Errorf("mr: bad assignment: batch names reduce task %d (attempt %d) of %d", b.Task, b.Attempt, t.NReduce)
		}
		seen[b.Task] = true
	}
	return nil
}

// checkSources checks where a map assignment says its input can be read:
// a plain name per piece, checksums of exactly the blocks covering it (or
// none, for a piece only the coordinator serves), holders' addresses that
// are host:port.
func checkSources(t *protocol.GetTaskReply) error {
	if len(t.Sources) == 0 {
		return nil
	}
	if len(t.Sources) != len(t.Inputs) || t.BlockSize < manifest.MinBlockSize || t.BlockSize > manifest.MaxBlockSize {
		return fmt.Errorf("mr: bad assignment: %d sources for %d pieces, blocks of %d bytes", len(t.Sources), len(t.Inputs), t.BlockSize)
	}
	for k, s := range t.Sources {
		p := t.Inputs[k]
		_, n := manifest.Cover(p.Offset, p.Length, t.BlockSize)
		unchecked := len(s.Sums) == 0 && s.Coordinator && len(s.Holders) == 0 // not described yet: from the coordinator
		if err := manifest.CheckName(s.Name); err != nil || (len(s.Sums) != n && !unchecked) || p.Offset+p.Length > s.Size || len(s.Holders) > 16 {
			return fmt.Errorf("mr: bad assignment: source of piece %d (%q, %d sums for %d blocks)", k, protocol.Truncate(s.Name, 40), len(s.Sums), n)
		}
		for _, h := range s.Holders {
			if err := protocol.CheckAddr(h); err != nil {
				return fmt.Errorf("mr: bad assignment: holder %w", err)
			}
		}
	}
	return nil
}

// sourceMap is where every map output is, as a reducer knows it.
type sourceMap struct {
	version  int
	owners   []string
	maps     []protocol.MapSource
	absorbed []int // maps whose output is empty (SourcesReply.Absorbed)
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
	seen := make(map[int]bool, len(src.Absorbed))
	for _, m := range src.Absorbed {
		if m < 0 || m >= nMap || seen[m] || maps[m].Attempt != 0 {
			return nil, fmt.Errorf("mr: bad sources: map %d absorbed", m)
		}
		seen[m] = true
	}
	return &sourceMap{version: src.Version, owners: src.Owners, maps: maps, absorbed: src.Absorbed}, nil
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
