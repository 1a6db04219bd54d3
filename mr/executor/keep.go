// Map Tasks that share one output: a worker maps several splits, one
// Task after another in one process, into one map output kept open
// between them (Task.Keep), and finishes it once (Task.Group): one
// sections file for them all, their keys combined across the splits,
// where each split would have written its own.

package executor

import (
	"cmp"
	"errors"
	"fmt"
	"sync"

	"mapreduce/internal/mapside"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// kept holds the map outputs Keep Tasks left open in this process, by
// name (the attempt's). A Task takes its output out while it adds to it
// or finishes it, so that no two Tasks share one. An app's process serves
// one worker (serve sets kept.one): a new output there drops any other
// still open, so that a worker that moved on leaves no buffer behind. An
// InProcess executor may serve several workers at once, each with its own
// output open; each drops its own (Task.Drop).
var kept struct {
	sync.Mutex
	one  bool
	outs map[string]*mapside.Output
}

// groupTask computes a map Task of a group (Keep, Group or Drop): it
// opens an output or takes the open one, maps its split into it, if it
// has one, and leaves the output open (Keep) or finishes it as mapTask
// does, returning the sections file's size. A failure drops the output:
// the worker maps the group's splits again.
func groupTask(app *mr.App, t *Task, m *meter, cnt *protocol.Counters) (int64, error) {
	if err := checkGroup(t); err != nil {
		return 0, err
	}
	if t.Drop {
		dropKept(t.Group)
		return 0, nil
	}
	out, err := groupOutput(app, t, m)
	if err != nil {
		return 0, err
	}
	if hasSplit(t) {
		if mapped, err := mapInto(app, t, m, cnt, out); err != nil {
			if !mapped && t.Group != "" {
				// The split could not be read (a copy of the worker's
				// that it then drops): nothing was added, and the worker
				// reads the split again into the same output.
				setKept(t.Group, out)
				return 0, err
			}
			out.RemoveSpills()
			return 0, err
		}
	}
	if t.Keep {
		out.Detach() // the next split is read while this one may be collected
		setKept(cmp.Or(t.Group, t.Name), out)
		return 0, nil
	}
	return finish(out, t.Out, 0, cnt)
}

// checkGroup refuses a group Task that cannot be done.
func checkGroup(t *Task) error {
	switch {
	case t.Stream != nil: // a streaming combiner's batch and counts are its Task's
		return errors.New("executor: a streaming job's map output cannot be kept open")
	case t.Keep && t.NReduce <= 0:
		return errors.New("executor: a map-only job's map task has no output to keep open")
	case t.Drop && (t.Group == "" || t.Keep):
		return errors.New("executor: a Task that drops a map output names it (Group) and keeps none")
	}
	return nil
}

// groupOutput is the output t adds to or finishes: for a Keep Task
// without a Group a new one, after the open one is dropped; else the
// open one of t's Group, taken out of kept, its progress now t's.
func groupOutput(app *mr.App, t *Task, m *meter) (*mapside.Output, error) {
	if t.Group == "" {
		setKept(t.Name, nil) // in an app's process, the one open before is dropped
		return newOutput(app, t, m), nil
	}
	out := takeKept(t.Group)
	if out == nil {
		return nil, fmt.Errorf("executor: map output %s is not open in this process", t.Group)
	}
	out.CountProgress(&m.bytes)
	return out, nil
}

// hasSplit tells whether t has a split to map: a Task that only
// finishes its group's output has none.
func hasSplit(t *Task) bool {
	return len(t.Inputs) > 0 || t.SplitPath != "" || t.Fetch != nil || len(t.Copies) > 0
}

// mapInto reads t's split and calls Map once per input, into out. mapped
// is false if the split could not be read: then out is as it was.
func mapInto(app *mr.App, t *Task, m *meter, cnt *protocol.Counters, out *mapside.Output) (mapped bool, err error) {
	sp, err := openSplit(t, cnt)
	if err != nil {
		return false, err
	}
	err = mapInputs(mapperOf(app, t, m), t.Inputs, sp, m, cnt, out.Emit)
	out.Flush()
	return true, err
}

// setKept leaves out open as name; in an app's process, it is the only
// one open.
func setKept(name string, out *mapside.Output) {
	kept.Lock()
	var drop []*mapside.Output
	if kept.one {
		for n, o := range kept.outs {
			drop = append(drop, o)
			delete(kept.outs, n)
		}
	}
	if out != nil {
		if kept.outs == nil {
			kept.outs = make(map[string]*mapside.Output)
		}
		if o := kept.outs[name]; o != nil && o != out {
			drop = append(drop, o)
		}
		kept.outs[name] = out
	}
	kept.Unlock()
	for _, o := range drop {
		o.RemoveSpills()
	}
}

// takeKept takes the output open as name out of kept; nil if none is.
func takeKept(name string) *mapside.Output {
	kept.Lock()
	defer kept.Unlock()
	out := kept.outs[name]
	delete(kept.outs, name)
	return out
}

// dropKept drops the output open as name, if any, removing its spills.
func dropKept(name string) {
	if out := takeKept(name); out != nil {
		out.RemoveSpills()
	}
}
