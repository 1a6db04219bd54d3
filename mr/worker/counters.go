// counters.go: an attempt's counters, taken from the executor and sent
// with its report or upload.

package worker

import (
	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// takeCounters adds the executor's counts for attempt a to c, with a
// warning if some of the app's were dropped.
func (w *Worker) takeCounters(res *executor.Result, c *protocol.Counters, a protocol.Attempt) {
	c.Add(&res.Counters)
	if res.Dropped > 0 {
		w.log.Warn("user counters dropped", "attempt", a.String(), "worker", a.WorkerID,
			"adds", res.Dropped, "max_names", protocol.MaxUserCounters)
	}
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
