// User counters: Counter, the handle an app counts with, and the engine's
// side, StartCounting and Counts, which gather them per attempt.

package mr

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Bounds of an attempt's counters: at most MaxCounters names of at most
// MaxCounterName bytes.
const (
	MaxCounters    = 32
	MaxCounterName = 64
)

// Counter is the app's counter name in the attempt this process is
// running (OSDI'04 §4.9); Map, MapEmit, Combine and Reduce may call
// Counter(name).Add(n) at will, and the handle may be kept in a variable:
//
//	var badLines = mr.Counter("bad lines")
//	...
//	badLines.Add(1)
//
// The job's total of a counter is the sum over the tasks' winning
// attempts only, so it counts every input exactly once however often a
// task ran. It appears on the status page, in the job summary and in the
// coordinator's "job summary" log line.
//
// Counts go to the attempt running when Add is called: the engine runs
// one attempt at a time in an app's process; outside an attempt (in
// mrsequential, or in a goroutine of the app's that outlives its call)
// Add does nothing. An attempt keeps at most MaxCounters names (Adds to
// further names are dropped, and the worker logs how many) of at most
// MaxCounterName bytes (longer names are cut).
func Counter(name string) UserCounter { return UserCounter{name: counterName(name)} }

// UserCounter is a handle on one of the app's counters.
type UserCounter struct{ name string }

// Add adds n to the counter in the running attempt.
func (c UserCounter) Add(n int64) {
	if set := running.Load(); set != nil {
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
	for len(name) > MaxCounterName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// running holds the counts of the attempt this process runs, nil between
// attempts. It is the one package-level variable of the app contract:
// the app's functions have no other way to reach the attempt.
var running atomic.Pointer[Counts]

// Counts are one attempt's counts of the app's counters: the engine
// starts them with StartCounting before it calls the app for an attempt
// and stops them after. Apps do not use it.
type Counts struct {
	mu      sync.Mutex // guards counts and dropped
	counts  map[string]int64
	dropped int // Adds to names past MaxCounters
}

// StartCounting makes fresh counts the running attempt's: Counter's Adds
// go there until Stop.
func StartCounting() *Counts {
	c := &Counts{counts: make(map[string]int64)}
	running.Store(c)
	return c
}

func (c *Counts) add(name string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		return // stopped: an app goroutine outlived its call
	}
	if _, ok := c.counts[name]; !ok && len(c.counts) >= MaxCounters {
		c.dropped++
		return
	}
	c.counts[name] += n
}

// Stop ends the counting and returns the counts (nil if none) and how
// many Adds were dropped for lack of room.
func (c *Counts) Stop() (counts map[string]int64, dropped int) {
	running.CompareAndSwap(c, nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts) > 0 {
		counts = c.counts
	}
	c.counts = nil
	return counts, c.dropped
}
