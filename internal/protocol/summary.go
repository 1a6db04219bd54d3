// The job summary: the file mr-<app>-summary.json that the coordinator
// writes next to the outputs when a job ends, and that bin/mrcheck and
// the tests read.

package protocol

// Summary is the job's record, written as mr-<app>-summary.json next to
// the outputs when the job ends: every attempt of every task and what
// became of it, and what each worker did.
type Summary struct {
	App            string          `json:"app"`
	AppBuild       string          `json:"app_build,omitempty"` // the plugin's SHA-256, when known
	Phase          string          `json:"phase"`
	Failure        string          `json:"failure,omitempty"`
	Elapsed        string          `json:"elapsed"`
	Maps           int             `json:"maps"`
	Reduces        int             `json:"reduces"`
	MapAttempts    int             `json:"map_attempts"`
	ReduceAttempts int             `json:"reduce_attempts"`
	Tasks          []TaskSummary   `json:"tasks"`
	Workers        []WorkerSummary `json:"workers"`

	Counters Counters `json:"counters"` // of the winning attempts only

	// Journal is the job's journal, for a job run with one (-journal);
	// Restarts lists each time the coordinator was started again on it.
	Journal  string    `json:"journal,omitempty"`
	Restarts []Restart `json:"restarts,omitempty"`
	// Declined lists the pool workers that would not run the job, and why.
	Declined []string `json:"declined,omitempty"`
	// Model is the job's parameters and shape, when it has any.
	Model *JobModel `json:"model,omitempty"`
}

// JobModel is what a job adds to plain map and reduce: its parameters
// (mr.Param), whether it is map-only, its total order, and a streaming
// job's commands and shipped files.
type JobModel struct {
	Params     map[string]string `json:"params,omitempty"`
	MapOnly    bool              `json:"map_only,omitempty"`
	TotalOrder *TotalOrder       `json:"total_order,omitempty"`
	Stream     *Stream           `json:"stream,omitempty"`
}

// TotalOrder is a total-order job's sample of its keys, what it cost,
// and each reduce task's share of the output it decided.
type TotalOrder struct {
	Splits   int     `json:"sampled_splits"` // map tasks' splits Map ran over
	Bytes    int64   `json:"sampled_bytes"`  // of input
	Keys     int     `json:"sampled_keys"`   // keys kept
	SampleMS int64   `json:"sample_ms"`      // how long the sample took
	Cuts     int     `json:"cuts"`           // cut points: reduce tasks - 1
	Shares   []int64 `json:"shares"`         // bytes of each mr-out-Y, 0 until committed
	Skew     float64 `json:"skew"`           // the largest share over the mean
}

// Restart is one start of a journaled job's coordinator after the first:
// when, and what the journal gave back at once.
type Restart struct {
	At               string `json:"at"`                // since the job first started
	ReducesRecovered int    `json:"reduces_recovered"` // reduce outputs kept from before
	MapsPending      int    `json:"maps_pending"`      // map outputs committed before, waiting for their owners
}

// TaskSummary lists one task's attempts in order; Winner is the committed one.
type TaskSummary struct {
	Task      string `json:"task"` // "map-3"
	Winner    string `json:"winner,omitempty"`
	Recovered bool   `json:"recovered,omitempty"` // its winner was taken back from before a restart, not run again
	// AbsorbedBy names the map task that absorbed this one ("map-0"):
	// that task's attempts mapped its input, and it has none of its own.
	AbsorbedBy string           `json:"absorbed_by,omitempty"`
	Attempts   []AttemptSummary `json:"attempts"`
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
	// Recovered: the attempt won before a restart of the coordinator; its
	// output was taken back (from the coordinator's disk for a reduce,
	// from the worker that still held it for a map) rather than made again.
	Recovered bool `json:"recovered,omitempty"`
}

// WorkerSummary is one worker's share of the job.
type WorkerSummary struct {
	ID       string         `json:"id"`
	Earlier  bool           `json:"earlier_run,omitempty"` // registered before a restart of the coordinator
	Pool     bool           `json:"pool,omitempty"`        // a pool member: it got the app from the coordinator
	Jobs     int            `json:"jobs_before,omitempty"` // jobs it served before this one
	Addr     string         `json:"addr"`
	Dead     bool           `json:"dead"`
	Excluded string         `json:"excluded,omitempty"`      // why it was excluded from the job
	Lost     int            `json:"lost_outputs,omitempty"`  // its map outputs re-run because reducers could not fetch them
	Holds    int            `json:"inputs_held,omitempty"`   // the job's inputs its -data directory holds
	Differ   []string       `json:"copies_differ,omitempty"` // inputs whose copy in its -data directory differed, never used
	Attempts int            `json:"attempts"`
	Won      []string       `json:"won"`
	Outcomes map[string]int `json:"outcomes"`
	Read     int64          `json:"read_bytes"`
	Written  int64          `json:"written_bytes"`
	Busy     string         `json:"busy"`
}
