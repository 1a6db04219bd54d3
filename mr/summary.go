package mr

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/protocol"
)

// Summary is the job's record, written as mr-<app>-summary.json next to
// the outputs when the job ends: every attempt of every task and what
// became of it, and what each worker did.
type Summary struct {
	App            string          `json:"app"`
	Phase          string          `json:"phase"`
	Failure        string          `json:"failure,omitempty"`
	Elapsed        string          `json:"elapsed"`
	Maps           int             `json:"maps"`
	Reduces        int             `json:"reduces"`
	MapAttempts    int             `json:"map_attempts"`
	ReduceAttempts int             `json:"reduce_attempts"`
	Tasks          []TaskSummary   `json:"tasks"`
	Workers        []WorkerSummary `json:"workers"`

	Counters protocol.Counters `json:"counters"` // of the winning attempts only
}

// TaskSummary lists one task's attempts in order; Winner is the committed one.
type TaskSummary struct {
	Task     string           `json:"task"` // "map-3"
	Winner   string           `json:"winner,omitempty"`
	Attempts []AttemptSummary `json:"attempts"`
}

// AttemptSummary is one attempt: who ran it, how it ended, what it moved.
type AttemptSummary struct {
	ID       string `json:"id"` // "map-3.a2"
	Worker   string `json:"worker"`
	Outcome  string `json:"outcome"`
	Start    string `json:"start"`              // since the job started
	Duration string `json:"duration,omitempty"` // until it ended
	Read     int64  `json:"read_bytes"`         // input (map) or fetched runs (reduce)
	Written  int64  `json:"written_bytes"`
	// FetchFailures counts reducers' reports that they could not fetch
	// this (committed map) attempt's output.
	FetchFailures int `json:"fetch_failures,omitempty"`
}

// WorkerSummary is one worker's share of the job.
type WorkerSummary struct {
	ID       string         `json:"id"`
	Addr     string         `json:"addr"`
	Dead     bool           `json:"dead"`
	Excluded string         `json:"excluded,omitempty"`     // why it was excluded from the job
	Lost     int            `json:"lost_outputs,omitempty"` // its map outputs re-run because reducers could not fetch them
	Attempts int            `json:"attempts"`
	Won      []string       `json:"won"`
	Outcomes map[string]int `json:"outcomes"`
	Read     int64          `json:"read_bytes"`
	Written  int64          `json:"written_bytes"`
	Busy     string         `json:"busy"`
}

// summary builds the record as of now; start is when the job started.
func (s *scheduler) summary(start, now time.Time) Summary {
	sum := Summary{App: s.cfg.app, Phase: s.phase.String(), Failure: s.failure,
		Elapsed: now.Sub(start).Round(time.Millisecond).String(), Maps: len(s.maps), Reduces: len(s.reduces)}
	for _, t := range append(slices.Clone(s.maps), s.reduces...) {
		ts := TaskSummary{Task: protocol.TaskName(t.kind, t.index)}
		if t.winner != nil {
			ts.Winner = t.winner.ID()
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

func (a *attempt) summary(start, now time.Time) AttemptSummary {
	as := AttemptSummary{ID: a.ID(), Worker: a.worker.id, Outcome: a.outcome.String(),
		Start: a.start.Sub(start).Round(time.Millisecond).String(), Read: a.read, Written: a.written,
		FetchFailures: a.fetchErr}
	if !a.end.IsZero() {
		as.Duration = a.end.Sub(a.start).Round(time.Millisecond).String()
	}
	return as
}

func (w *worker) summary(now time.Time) WorkerSummary {
	ws := WorkerSummary{ID: w.id, Addr: w.addr, Dead: w.dead, Excluded: w.excluded, Lost: w.lost,
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

// writeSummary writes the summary as outDir/mr-<app>-summary.json.
func writeSummary(outDir string, sum Summary) (string, error) {
	app := sum.App
	if app == "" {
		app = "job" // no worker ever joined
	}
	name := filepath.Join(outDir, summaryName(app))
	f, err := atomicfile.Create(name)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sum); err != nil {
		return "", fmt.Errorf("mr: writing %s: %w", name, err)
	}
	return name, f.Commit()
}
