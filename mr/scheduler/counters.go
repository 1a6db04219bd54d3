// The app's counters (OSDI'04 §4.9): each winner's kept, checked
// against protocol's bounds, and added up for the views.

package scheduler

import "mapreduce/internal/protocol"

// recordCounters keeps the counters winning attempt a reported; counters
// that break protocol's bounds are ignored, with an event.
func (s *Scheduler) recordCounters(a *attempt, c *protocol.Counters) {
	if c == nil {
		return
	}
	if err := c.Check(); err != nil {
		s.note(CountersIgnored, a, a.worker, "err", err.Error())
		return
	}
	a.counters = c
}

// counters adds up the counters of every task's winning attempt
// (OSDI'04 §4.9): failed, lost, superseded and re-run attempts never count.
func (s *Scheduler) counters() protocol.Counters {
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
