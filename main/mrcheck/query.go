// The queries mrcheck answers from a summary, one function each, and the
// lookups of tasks, attempts and workers they share.

package main

import (
	"fmt"
	"slices"
	"strconv"

	"mapreduce/internal/protocol"
)

// An answer is a list of items; a single value is a list of one, and an
// empty list means none.
type answerFunc func(s *protocol.Summary, arg string) ([]string, error)

// query describes one question mrcheck can answer.
type query struct {
	arg    string // what its argument names ("TASK"); "" when it takes none
	optArg bool   // the argument may be left out
	answer answerFunc
}

// queries maps each query's name to its description.
var queries = map[string]query{
	"app":                 {answer: text(func(s *protocol.Summary) string { return s.App })},
	"phase":               {answer: text(func(s *protocol.Summary) string { return s.Phase })},
	"failure":             {answer: text(func(s *protocol.Summary) string { return s.Failure })},
	"maps":                {answer: number(func(s *protocol.Summary) int { return s.Maps })},
	"reduces":             {answer: number(func(s *protocol.Summary) int { return s.Reduces })},
	"map_attempts":        {answer: number(func(s *protocol.Summary) int { return s.MapAttempts })},
	"reduce_attempts":     {answer: number(func(s *protocol.Summary) int { return s.ReduceAttempts })},
	"workers":             {answer: number(func(s *protocol.Summary) int { return len(s.Workers) })},
	"restarts":            {answer: number(func(s *protocol.Summary) int { return len(s.Restarts) })},
	"attempts":            {arg: "TASK", optArg: true, answer: attempts},
	"winner":              {arg: "TASK", answer: winner},
	"worker":              {arg: "ATTEMPT", answer: attemptWorker},
	"outcome":             {arg: "ATTEMPT", answer: outcome},
	"won-by":              {arg: "WORKER", answer: wonBy},
	"dead":                {answer: dead},
	"not-won":             {answer: notWon},
	"fetch-failures":      {arg: "WORKER", answer: fetchFailures},
	"recovered":           {answer: recovered},
	"pool-jobs":           {answer: poolJobs},
	"counter":             {arg: "NAME", answer: counter},
	"copies-differ":       {answer: copiesDiffer},
	"local_percent":       {answer: percent(func(c *protocol.Counters) int64 { return c.LocalBytes })},
	"peer_percent":        {answer: percent(func(c *protocol.Counters) int64 { return c.PeerBytes })},
	"coordinator_percent": {answer: percent(func(c *protocol.Counters) int64 { return c.CoordinatorBytes })},
}

// counter answers an engine counter of the job by its key
// (map_input_bytes, local_maps, coordinator_bytes...).
func counter(s *protocol.Summary, name string) ([]string, error) {
	for _, e := range s.Counters.Engine() {
		if e.Key == name {
			return []string{strconv.FormatInt(e.Value, 10)}, nil
		}
	}
	return nil, fmt.Errorf("no counter %q in the summary", name)
}

// percent answers the share of the map input bytes read from one source,
// in whole percent rounded down (0 when nothing was read).
func percent(bytes func(c *protocol.Counters) int64) answerFunc {
	return func(s *protocol.Summary, _ string) ([]string, error) {
		c := &s.Counters
		total := c.LocalBytes + c.PeerBytes + c.CoordinatorBytes
		if total == 0 {
			return count(0), nil
		}
		return []string{strconv.FormatInt(bytes(c)*100/total, 10)}, nil
	}
}

// request is a query with its argument, checked against the query's needs.
type request struct {
	name, arg string
	fn        answerFunc
}

// newRequest checks that name is a query and args fit it.
func newRequest(name string, args []string) (request, error) {
	q, ok := queries[name]
	switch {
	case !ok:
		return request{}, fmt.Errorf("unknown query %q (mrcheck -h lists them)", name)
	case len(args) > 0 && q.arg == "":
		return request{}, fmt.Errorf("%s takes no argument", name)
	case len(args) > 1:
		return request{}, fmt.Errorf("%s takes one %s, not %d arguments", name, q.arg, len(args))
	case len(args) == 0 && q.arg != "" && !q.optArg,
		len(args) == 1 && args[0] == "":
		return request{}, fmt.Errorf("%s: missing %s", name, q.arg)
	}
	r := request{name: name, fn: q.answer}
	if len(args) == 1 {
		r.arg = args[0]
	}
	return r, nil
}

// answer answers the request from the summary.
func (r request) answer(s *protocol.Summary) ([]string, error) { return r.fn(s, r.arg) }

// String is the request as a fact writes it: "attempts:map-3".
func (r request) String() string {
	if r.arg == "" {
		return r.name
	}
	return r.name + ":" + r.arg
}

// text answers a query without argument with a field of the summary
// (none when it is empty).
func text(field func(*protocol.Summary) string) answerFunc {
	return func(s *protocol.Summary, _ string) ([]string, error) { return some(field(s)), nil }
}

// number answers a query without argument with a count.
func number(field func(*protocol.Summary) int) answerFunc {
	return func(s *protocol.Summary, _ string) ([]string, error) { return count(field(s)), nil }
}

// some is a one-item answer, or none when v is empty.
func some(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

func count(n int) []string { return []string{strconv.Itoa(n)} }

// attempts counts every attempt of the job, or of one task.
func attempts(s *protocol.Summary, task string) ([]string, error) {
	if task != "" {
		t, err := findTask(s, task)
		if err != nil {
			return nil, err
		}
		return count(len(t.Attempts)), nil
	}
	n := 0
	for _, t := range s.Tasks {
		n += len(t.Attempts)
	}
	return count(n), nil
}

func winner(s *protocol.Summary, task string) ([]string, error) {
	t, err := findTask(s, task)
	if err != nil {
		return nil, err
	}
	return some(t.Winner), nil
}

func attemptWorker(s *protocol.Summary, id string) ([]string, error) {
	a, err := findAttempt(s, id)
	if err != nil {
		return nil, err
	}
	return some(a.Worker), nil
}

func outcome(s *protocol.Summary, id string) ([]string, error) {
	a, err := findAttempt(s, id)
	if err != nil {
		return nil, err
	}
	return some(a.Outcome), nil
}

// wonBy lists the tasks whose winning attempt ran on worker w, in the
// summary's order (maps, then reduces).
func wonBy(s *protocol.Summary, w string) ([]string, error) {
	if err := findWorker(s, w); err != nil {
		return nil, err
	}
	var tasks []string
	for _, t := range s.Tasks {
		for _, a := range t.Attempts {
			if a.ID == t.Winner && a.Worker == w {
				tasks = append(tasks, t.Task)
			}
		}
	}
	return tasks, nil
}

func dead(s *protocol.Summary, _ string) ([]string, error) {
	var ids []string
	for _, w := range s.Workers {
		if w.Dead {
			ids = append(ids, w.ID)
		}
	}
	return ids, nil
}

// notWon lists every attempt that did not win as ATTEMPT=OUTCOME.
func notWon(s *protocol.Summary, _ string) ([]string, error) {
	var out []string
	for _, t := range s.Tasks {
		for _, a := range t.Attempts {
			if a.Outcome != "won" {
				out = append(out, a.ID+"="+a.Outcome)
			}
		}
	}
	return out, nil
}

// fetchFailures counts reducers' reports that they could not fetch the
// outputs of worker w's map attempts.
func fetchFailures(s *protocol.Summary, w string) ([]string, error) {
	if err := findWorker(s, w); err != nil {
		return nil, err
	}
	n := 0
	for _, t := range s.Tasks {
		for _, a := range t.Attempts {
			if a.Worker == w {
				n += a.FetchFailures
			}
		}
	}
	return count(n), nil
}

// recovered lists the tasks taken back from before a restart of the
// coordinator rather than run again.
func recovered(s *protocol.Summary, _ string) ([]string, error) {
	var tasks []string
	for _, t := range s.Tasks {
		if t.Recovered {
			tasks = append(tasks, t.Task)
		}
	}
	return tasks, nil
}

// poolJobs lists each pool worker as ID=N, N the jobs it served before
// this one.
func poolJobs(s *protocol.Summary, _ string) ([]string, error) {
	var out []string
	for _, w := range s.Workers {
		if w.Pool {
			out = append(out, w.ID+"="+strconv.Itoa(w.Jobs))
		}
	}
	return out, nil
}

func findTask(s *protocol.Summary, name string) (*protocol.TaskSummary, error) {
	for i := range s.Tasks {
		if s.Tasks[i].Task == name {
			return &s.Tasks[i], nil
		}
	}
	return nil, fmt.Errorf("no task %s in the summary (maps=%d reduces=%d)", name, s.Maps, s.Reduces)
}

func findAttempt(s *protocol.Summary, id string) (*protocol.AttemptSummary, error) {
	for i := range s.Tasks {
		for j := range s.Tasks[i].Attempts {
			if a := &s.Tasks[i].Attempts[j]; a.ID == id {
				return a, nil
			}
		}
	}
	return nil, fmt.Errorf("no attempt %s in the summary", id)
}

func findWorker(s *protocol.Summary, id string) error {
	ids := make([]string, 0, len(s.Workers))
	for _, w := range s.Workers {
		if w.ID == id {
			return nil
		}
		ids = append(ids, w.ID)
	}
	return fmt.Errorf("no worker %s in the summary (workers: %s)", id, join(ids))
}

// copiesDiffer lists the inputs whose copy in some worker's -data
// directory differed from the job's (never used), in name order.
func copiesDiffer(s *protocol.Summary, _ string) ([]string, error) {
	var names []string
	for _, w := range s.Workers {
		for _, n := range w.Differ {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}
