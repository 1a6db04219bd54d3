// Locality (OSDI'04 §3.4): workers say which of the job's inputs they
// hold (Hold), and a worker asking for work gets first an idle map task
// whose input it holds, from a queue of its own; only when it has none
// does it take the oldest idle task, wherever its input is: the cluster
// never idles for locality. A map task's home is the input that gives it
// the most bytes (Config.MapHome).
//
// When the coordinator holds no copy of the inputs (a job planned from a
// manifest), a task is handed only to a worker that can read every input
// of it: its own or a live holder's. An input that no live worker holds
// is waited for up to HolderWait, then fails the job in one line naming
// it.

package scheduler

import (
	"fmt"
	"slices"
	"time"

	"mapreduce/internal/protocol"
)

// localQueue is a worker's FIFO of map tasks whose home it holds; entries
// no longer idle are skipped on pop, and a task may be in it twice.
type localQueue struct {
	items []*task
	head  int
}

func (q *localQueue) push(t *task) { q.items = append(q.items, t) }

func (q *localQueue) pop() *task {
	for q.head < len(q.items) {
		t := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if q.head > 64 && q.head*2 > len(q.items) {
			q.items = append([]*task(nil), q.items[q.head:]...)
			q.head = 0
		}
		if t.state == taskIdle {
			return t
		}
	}
	return nil
}

// inputs is what the scheduler knows of where the inputs are.
type inputs struct {
	holders [][]*worker       // per input, the workers that said they hold it (dead ones too)
	homes   [][]*task         // per input, the map tasks whose home it is
	unheld  map[int]time.Time // inputs no live worker holds (manifest jobs), since when
	turn    int               // rotates holders handed out, to spread peer reads
}

func newInputs(cfg Config, maps []*task) inputs {
	in := inputs{holders: make([][]*worker, len(cfg.InputNames)), homes: make([][]*task, len(cfg.InputNames)),
		unheld: make(map[int]time.Time)}
	for i, home := range cfg.MapHome {
		if home >= 0 && home < len(in.homes) && i < len(maps) {
			in.homes[home] = append(in.homes[home], maps[i])
		}
	}
	return in
}

// Holding is what a worker says of the job's inputs it holds, by index
// into Config.InputNames.
type Holding struct {
	Inputs  []int // inputs it holds, recorded only with Commit
	First   bool  // Inputs replace what it said before
	Commit  bool  // record Inputs: the worker serves them to its peers from now on
	Differs []int // inputs whose copy it found to differ from the job's checksums
}

// Hold applies what worker id says of the inputs it holds: copies that
// differ are never used, and the job names them; with h.Commit, the
// inputs it holds make map tasks local to it, and its peers may read
// them from it.
func (s *Scheduler) Hold(id string, h Holding, now time.Time) {
	for _, i := range h.Differs {
		s.copyDiffers(id, i)
	}
	if h.Commit {
		s.hold(id, h.Inputs, h.First)
	}
}

// hold records that worker id holds inputs held; first replaces what it
// said before.
func (s *Scheduler) hold(id string, held []int, first bool) {
	w := s.live(id)
	if w == nil {
		return
	}
	if first && len(w.holds) > 0 {
		for i := range w.holds {
			s.in.holders[i] = remove(s.in.holders[i], w)
		}
		w.holds, w.local = nil, localQueue{}
	}
	if w.holds == nil {
		w.holds = make(map[int]bool)
	}
	for _, i := range held {
		if i < 0 || i >= len(s.in.holders) || w.holds[i] {
			continue
		}
		w.holds[i] = true
		s.in.holders[i] = append(s.in.holders[i], w)
		for _, t := range s.in.homes[i] {
			if t.state == taskIdle {
				w.local.push(t)
			}
		}
	}
	s.note(InputsHeld, nil, w, "inputs", len(w.holds))
}

func remove(ws []*worker, w *worker) []*worker {
	out := ws[:0]
	for _, x := range ws {
		if x != w {
			out = append(out, x)
		}
	}
	return out
}

// copyDiffers records that worker id found its copy of input i to differ
// from the job's checksums: it was never used, and the job names it.
func (s *Scheduler) copyDiffers(id string, i int) {
	w := s.workers[id]
	if w == nil || i < 0 || i >= len(s.cfg.InputNames) || slices.Contains(w.differ, s.cfg.InputNames[i]) {
		return
	}
	w.differ = append(w.differ, s.cfg.InputNames[i])
	s.note(InputCopyDiffers, nil, w, "input", s.cfg.InputNames[i], "note", "the worker's copy was not used")
}

// Holders lists the run-file servers of at most n live workers holding
// input i, other than worker except, starting from a different one each
// time so that peer reads spread over the holders.
func (s *Scheduler) Holders(i int, except string, n int) []string {
	if i < 0 || i >= len(s.in.holders) {
		return nil
	}
	hs := s.in.holders[i]
	var out []string
	s.in.turn++
	for k := range hs {
		w := hs[(k+s.in.turn)%len(hs)]
		if len(out) < n && w.id != except && s.live(w.id) != nil {
			out = append(out, w.addr)
		}
	}
	return out
}

// heldLive reports whether a live worker holds input i.
func (s *Scheduler) heldLive(i int) bool {
	for _, w := range s.in.holders[i] {
		if s.live(w.id) != nil {
			return true
		}
	}
	return false
}

// readable reports whether w can read every input of map task t: the
// coordinator serves them, or w or a live worker holds each.
func (s *Scheduler) readable(t *task, w *worker) bool {
	if !s.cfg.NoCopy || t.kind != protocol.MapTask || t.index >= len(s.cfg.MapReads) {
		return true
	}
	for _, i := range s.cfg.MapReads[t.index] {
		if !w.holds[i] && !s.heldLive(i) {
			return false
		}
	}
	return true
}

// localTask pops an idle map task whose home w holds, if any.
func (s *Scheduler) localTask(w *worker) *task {
	for {
		t := w.local.pop()
		if t == nil || s.readable(t, w) {
			return t
		}
	}
}

// idleMap pops the oldest idle map task w can read; tasks it cannot read
// (a manifest job's, whose input nobody live holds) stay queued.
func (s *Scheduler) idleMap(w *worker) *task {
	var skipped []*task
	defer func() {
		for _, t := range skipped {
			t.queued = false
			s.enqueue(t, t.idleAt)
		}
	}()
	for range len(s.idle[0].items) - s.idle[0].head {
		t := s.idle[0].pop()
		if t == nil || s.readable(t, w) {
			return t
		}
		skipped = append(skipped, t)
	}
	return nil
}

// queueLocal puts an idle map task in the queues of its home's holders.
func (s *Scheduler) queueLocal(t *task) {
	if t.kind != protocol.MapTask || t.index >= len(s.cfg.MapHome) {
		return
	}
	if home := s.cfg.MapHome[t.index]; home >= 0 && home < len(s.in.holders) {
		for _, w := range s.in.holders[home] {
			if s.live(w.id) != nil {
				w.local.push(t)
			}
		}
	}
}

// checkHolders fails a job planned from a manifest when an input that a
// map task still needs has had no live holder for HolderWait.
func (s *Scheduler) checkHolders(now time.Time) {
	if !s.cfg.NoCopy || !s.started || s.over() || s.mapsDone == len(s.maps) {
		return
	}
	needed := make(map[int]*task)
	for _, t := range s.maps {
		if t.state != taskDone && t.index < len(s.cfg.MapReads) {
			for _, i := range s.cfg.MapReads[t.index] {
				if _, ok := needed[i]; !ok {
					needed[i] = t
				}
			}
		}
	}
	for i := range s.in.unheld {
		if needed[i] == nil || s.heldLive(i) {
			delete(s.in.unheld, i)
		}
	}
	for i, t := range needed {
		if s.heldLive(i) {
			continue
		}
		since, waiting := s.in.unheld[i]
		switch {
		case !waiting:
			s.in.unheld[i] = now
			s.note(InputUnheld, nil, nil, "input", s.cfg.InputNames[i], "task", protocol.TaskName(t.kind, t.index),
				"waiting", s.cfg.HolderWait.String())
		case now.Sub(since) >= s.cfg.HolderWait:
			s.fail(fmt.Sprintf("no live worker holds input %s (read by %s), and none came for %s: "+
				"start a worker whose -data directory holds it", s.cfg.InputNames[i], protocol.TaskName(t.kind, t.index), s.cfg.HolderWait))
			return
		}
	}
}
