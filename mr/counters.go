package mr

// Counters, as in OSDI'04 §4.9: every attempt counts what it did (the
// engine's counters: input, emitted, combined away, spilled, shuffled,
// reduce groups and records) and what the app counts with Counter. The
// counts travel with the attempt's report (ReportMap's args; a reduce
// upload's X-Mr-Counters header), the scheduler keeps them on the attempt,
// and the job's counters are the sum over each task's winning attempt:
// failed, lost, superseded and re-run attempts never count.

import (
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"mapreduce/internal/protocol"
)

// Counter is the app's counter name in the attempt this worker process
// is running; Map, MapEmit, Combine and Reduce may call
// Counter(name).Add(n) at will, and the handle may be kept in a variable.
// The job's total of a counter is the sum over the tasks' winning
// attempts only, so it counts every input exactly once however often a
// task ran. It appears on the status page, in the summary JSON and in the
// "job summary" log line.
//
// The contract: a worker process runs one attempt at a time, so counts
// go to the attempt running when Add is called; outside an attempt
// (mrsequential, or an app's own goroutine outliving its call) Add does
// nothing. An attempt keeps at most protocol.MaxUserCounters names (further
// names are dropped with a warning in the worker's log) of at most
// protocol.MaxCounterName bytes (longer ones are cut).
func Counter(name string) UserCounter { return UserCounter{name: counterName(name)} }

// UserCounter is a handle on one of the app's counters.
type UserCounter struct{ name string }

// Add adds n to the counter in the running attempt.
func (c UserCounter) Add(n int64) {
	if set := runningCounters.Load(); set != nil {
		set.add(c.name, n)
	}
}

// counterName makes name valid on the wire: UTF-8, not empty, and at
// most MaxCounterName bytes, cut at a character boundary.
func counterName(name string) string {
	name = strings.ToValidUTF8(name, "?")
	if name == "" {
		return "?"
	}
	for len(name) > protocol.MaxCounterName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// runningCounters holds the user counters of the attempt this process
// runs, nil between attempts. It is the one package-level variable of
// the engine: the app's functions have no other way to reach the attempt.
var runningCounters atomic.Pointer[userCounters]

// userCounters are one attempt's user counters.
type userCounters struct {
	mu      sync.Mutex // guards counts and dropped
	counts  map[string]int64
	dropped int // Add calls on names past MaxUserCounters
}

// beginCounters makes a fresh set the running attempt's.
func beginCounters() *userCounters {
	u := &userCounters{counts: make(map[string]int64)}
	runningCounters.Store(u)
	return u
}

func (u *userCounters) add(name string, n int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.counts == nil {
		return // ended: an app goroutine outlived its call
	}
	if _, ok := u.counts[name]; !ok && len(u.counts) >= protocol.MaxUserCounters {
		u.dropped++
		return
	}
	u.counts[name] += n
}

// end stops counting into u and puts its counts into c. It returns how
// many Add calls were dropped for lack of room.
func (u *userCounters) end(c *protocol.Counters) (dropped int) {
	runningCounters.CompareAndSwap(u, nil)
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.counts) > 0 {
		c.User = u.counts
	}
	u.counts = nil
	return u.dropped
}

// takeCounters adds the executor's counts for attempt a to c, with a
// warning if some of the app's were dropped.
func (w *Worker) takeCounters(res *execResult, c *protocol.Counters, a protocol.Attempt) {
	c.Add(&res.Counters)
	if res.Dropped > 0 {
		w.log.Warn("user counters dropped", "attempt", a.String(), "worker", a.WorkerID,
			"adds", res.Dropped, "max_names", protocol.MaxUserCounters)
	}
}

// countLines is a split's number of records: its lines, the last one
// counted even without a newline.
func countLines(s string) int64 {
	n := int64(strings.Count(s, "\n"))
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// recordCounters keeps the counters a winning attempt reported; counters
// that break protocol's bounds are ignored, with an event.
func (s *scheduler) recordCounters(ref protocol.Attempt, c *protocol.Counters) {
	a := s.lookup(ref)
	if a == nil || a.outcome != outcomeWon {
		return
	}
	if err := c.Check(); err != nil {
		s.note("counters ignored", a, a.worker, "err", err.Error())
		return
	}
	a.counters = c
}

// counters adds up the counters of every task's winning attempt.
func (s *scheduler) counters() protocol.Counters {
	var sum protocol.Counters
	for _, tasks := range [][]*task{s.maps, s.reduces} {
		for _, t := range tasks {
			if t.winner != nil && t.winner.counters != nil {
				sum.Add(t.winner.counters)
			}
		}
	}
	return sum
}

// countersHeader is cnt as an X-Mr-Counters header, with a warning when
// it had to leave user counters out to fit.
func (w *Worker) countersHeader(cnt *protocol.Counters) string {
	h, dropped := protocol.EncodeCounters(cnt)
	if dropped > 0 {
		w.log.Warn("user counters left out of the upload", "dropped", dropped, "max_bytes", protocol.MaxCountersHeader)
	}
	return h
}

// fileSize is the size of the file at path, or 0.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// countersAttr is c as one log attribute: counters.map_input_bytes=...,
// counters.user.NAME=... for the app's, in name order.
func countersAttr(c *protocol.Counters) slog.Attr {
	var attrs []any
	for _, e := range c.Engine() {
		attrs = append(attrs, slog.Int64(e.Key, e.Value))
	}
	if len(c.User) > 0 {
		var user []any
		for _, name := range slices.Sorted(maps.Keys(c.User)) {
			user = append(user, slog.Int64(name, c.User[name]))
		}
		attrs = append(attrs, slog.Group("user", user...))
	}
	return slog.Group("counters", attrs...)
}
