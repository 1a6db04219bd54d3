// The job's record (protocol.Summary): every task's attempts and every
// worker's, for the summary file and the tests that read it.

package scheduler

import (
	"fmt"
	"slices"
	"time"

	"mapreduce/internal/protocol"
)

// Summary is the job's record as of now (protocol.Summary); start is when
// the job started.
func (s *Scheduler) Summary(start, now time.Time) protocol.Summary {
	sum := protocol.Summary{App: s.cfg.App, Phase: s.phase.String(), Failure: s.failure,
		Elapsed: now.Sub(start).Round(time.Millisecond).String(), Maps: len(s.maps), Reduces: len(s.reduces)}
	for _, t := range append(slices.Clone(s.maps), s.reduces...) {
		ts := protocol.TaskSummary{Task: protocol.TaskName(t.kind, t.index)}
		if t.winner != nil {
			ts.Winner, ts.Recovered = t.winner.ID(), t.winner.recovered
		}
		if u := t.absorbedBy; u != nil {
			ts.AbsorbedBy = protocol.TaskName(u.kind, u.index)
		}
		for _, a := range t.history {
			ts.Attempts = append(ts.Attempts, a.summary(start, now))
		}
		if t.kind == protocol.MapTask {
			sum.MapAttempts += len(t.history)
		} else {
			sum.ReduceAttempts += len(t.history)
		}
		sum.Tasks = append(sum.Tasks, ts)
	}
	sum.Counters = s.counters()
	for i := 1; i <= s.nextWorker; i++ {
		if w := s.workers[fmt.Sprintf("w%d", i)]; w != nil {
			sum.Workers = append(sum.Workers, w.summary(now))
		}
	}
	return sum
}

func (a *attempt) summary(start, now time.Time) protocol.AttemptSummary {
	as := protocol.AttemptSummary{ID: a.ID(), Worker: a.worker.id, Outcome: a.outcome.String(),
		Start: a.start.Sub(start).Round(time.Millisecond).String(), Read: a.read, Written: a.written,
		FetchFailures: a.fetchErr, Recovered: a.recovered}
	if !a.end.IsZero() {
		as.Duration = a.end.Sub(a.start).Round(time.Millisecond).String()
	}
	return as
}

func (w *worker) summary(now time.Time) protocol.WorkerSummary {
	ws := protocol.WorkerSummary{ID: w.id, Earlier: w.earlier, Pool: w.pool, Jobs: w.jobs, Addr: w.addr, Dead: w.dead, Excluded: w.excluded, Lost: w.lost, Holds: len(w.holds), Differ: w.differ,
		Attempts: len(w.attempts), Won: []string{}, Outcomes: map[string]int{}}
	var busy time.Duration
	for _, a := range w.attempts {
		ws.Outcomes[a.outcome.String()]++
		ws.Read += a.read
		ws.Written += a.written
		if a.outcome == outcomeWon {
			ws.Won = append(ws.Won, a.ID())
		}
		end := a.end
		if end.IsZero() {
			end = now
		}
		busy += end.Sub(a.start)
	}
	ws.Busy = busy.Round(time.Millisecond).String()
	return ws
}
