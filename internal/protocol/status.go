// Status, the answer of GET /status that the page at / shows, and the
// read-only token that lets a browser read it.

package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// StatusVersion is Status.Version: 1 since the page at / and its fields
// after LiveWorkers; 2 since worker_counts, work (the ETA), the mean
// throughput, each task's input, and running attempts' progress.
const StatusVersion = 2

// Status is the answer of GET /status (JSON) and what the page at / shows.
// Its first seven fields are the first /status, unchanged, with Go's field
// names as keys; those after were added by version 1 and have snake_case
// keys, none equal to an older one even ignoring case. A job of any size
// is described in a bounded answer: tasks are counted per state, and only
// the most telling are listed (Tasks.Limit at most).
type Status struct {
	Phase       string // map, reduce, merge, done or failed
	MapsDone    int
	Maps        int
	ReducesDone int
	Reduces     int
	Workers     int // workers ever registered, earlier ones (before a restart) included
	// LiveWorkers counts the workers neither declared dead nor excluded,
	// as it always has: those working, idle, and exited (told the job is
	// over, and gone). WorkerCounts tells them apart; a page shows
	// Working+Idle as live.
	LiveWorkers int

	Version     int        `json:"version"`
	App         string     `json:"app"`  // "" until the first worker registered
	Over        bool       `json:"over"` // done or failed: nothing changes any more
	Failure     string     `json:"failure,omitempty"`
	Started     time.Time  `json:"started"`
	ElapsedMS   int64      `json:"elapsed_ms"` // until now, or until the job ended
	MapTasks    TaskCounts `json:"map_tasks"`
	ReduceTasks TaskCounts `json:"reduce_tasks"`
	Throughput  Throughput `json:"throughput"`
	Counters    Counters   `json:"counters"` // of winning attempts only
	Tasks       TaskList   `json:"tasks"`
	WorkerList  WorkerList `json:"worker_list"`
	Result      *Result    `json:"result,omitempty"` // once Over

	WorkerCounts WorkerCounts `json:"worker_counts"` // every worker by state: they add up to Workers
	Work         Work         `json:"work"`          // how much is done, and the ETA

	// Journal is the job's journal, when it has one; Restarts lists each
	// start of the coordinator on it after the first.
	Journal  string    `json:"journal,omitempty"`
	Restarts []Restart `json:"restarts,omitempty"`
	AppBuild string    `json:"app_build,omitempty"` // the app's plugin SHA-256, when known
	Declined []string  `json:"declined,omitempty"`  // pool workers that would not run the job, and why
	Model    *JobModel `json:"model,omitempty"`     // parameters, map-only, total order
}

// TaskCounts counts the tasks of one kind by state, and their attempts by
// outcome (running, won, lost, output lost, failed, died, abandoned).
type TaskCounts struct {
	Total    int            `json:"total"`
	Idle     int            `json:"idle"`
	Running  int            `json:"running"`
	Done     int            `json:"done"`
	Pending  int            `json:"pending,omitempty"` // maps committed before a restart, waiting for their owners
	Slow     int            `json:"slow"`              // tasks with an attempt that ran past the task timeout
	Attempts int            `json:"attempts"`
	Outcomes map[string]int `json:"outcomes"`
}

// Throughput is the job's rate of work over time: the input bytes (map
// splits and fetched run files) and records (map input and reduce input)
// of the attempts committed in each interval, per second. A page's
// headline is the current rate while the job runs, and the mean once it
// is over.
type Throughput struct {
	BytesPerS   float64 `json:"bytes_per_s"` // over the last few seconds (until the job ended)
	RecordsPerS float64 `json:"records_per_s"`
	Points      []Rate  `json:"points"` // oldest first, a bounded number
	// The mean over the job so far: all the committed work (recovered
	// work of a journaled job included) over ElapsedMS.
	MeanBytesPerS   float64 `json:"mean_bytes_per_s"`
	MeanRecordsPerS float64 `json:"mean_records_per_s"`
}

// WorkerCounts counts workers by state (WorkerRow.State). Working and
// Idle ones take part in the job now: they are the live ones.
type WorkerCounts struct {
	Working  int `json:"working"`
	Idle     int `json:"idle"`
	Exited   int `json:"exited"`   // told the job is over, and gone
	Dead     int `json:"dead"`     // declared dead: silent for the heartbeat timeout
	Excluded int `json:"excluded"` // taken out of the job for failing
	Earlier  int `json:"earlier"`  // registered before a restart of the coordinator
}

// Work is how much of the job is done, in Unit: "bytes" when the inputs'
// sizes are known (a map task weighs its input; a reduce task its share
// of the map output, estimated from the committed maps' output per input
// byte), else "tasks" (every task weighs 1). A done task counts whole; a
// running one as far as its furthest attempt got (AttemptRow.Progress).
//
// ETAMS is the time left at the rate of this run: Done less recovered
// work, over the time since this run's first attempt started. It is
// absent when unknown: before any attempt of this run has won, while no
// worker is live, in the final merge, and once the job is over.
type Work struct {
	Unit  string  `json:"unit"`
	Total float64 `json:"total"`
	Done  float64 `json:"done"`
	ETAMS *int64  `json:"eta_ms,omitempty"` // never negative
}

// Rate is one interval of Throughput, ending TMS after the job started.
type Rate struct {
	TMS         int64   `json:"t_ms"`
	BytesPerS   float64 `json:"bytes_per_s"`
	RecordsPerS float64 `json:"records_per_s"`
}

// TaskList lists at most Limit tasks, the most telling first: those with
// failed attempts, then running ones (longest first), stragglers, the
// slowest done, and idle ones last. Omitted counts the others.
type TaskList struct {
	Limit   int       `json:"limit"`
	Omitted int       `json:"omitted"`
	Rows    []TaskRow `json:"rows"`
}

// TaskRow is one task and its attempts, for a timeline.
type TaskRow struct {
	Task            string       `json:"task"`  // "map-3"
	State           string       `json:"state"` // idle, running or done
	Slow            bool         `json:"slow"`  // a straggler: an attempt ran past the task timeout
	Failed          bool         `json:"failed"`
	Recovered       bool         `json:"recovered,omitempty"`        // taken back from before a restart, not run again
	AbsorbedBy      string       `json:"absorbed_by,omitempty"`      // the map task whose attempts map its input: it has none of its own
	Input           string       `json:"input,omitempty"`            // a map task's input: "a.txt", "big.txt [0, 67108864)", "a.txt … z.txt (40 files)"
	InputBytes      int64        `json:"input_bytes,omitempty"`      // its size, when known
	Attempts        []AttemptRow `json:"attempts"`                   // in order, the last few
	AttemptsOmitted int          `json:"attempts_omitted,omitempty"` // earlier ones not listed
}

// AttemptRow is one attempt. Outcome is running, won, lost (another
// attempt won), output lost (it won, then its worker's copy was lost),
// failed, died (its worker was declared dead) or abandoned.
type AttemptRow struct {
	ID         string `json:"id"` // "map-3.a2"
	Worker     string `json:"worker"`
	Outcome    string `json:"outcome"`
	StartMS    int64  `json:"start_ms"`    // since the job started
	DurationMS int64  `json:"duration_ms"` // until it ended, or until now while running
	Slow       bool   `json:"slow"`
	Read       int64  `json:"read_bytes"` // once it won
	Written    int64  `json:"written_bytes"`
	// While it runs: how far it got (0 to 1) as its worker's last
	// heartbeat said, absent until one did; and for a map attempt, the
	// input read so far, estimated as Progress × TaskRow.InputBytes.
	Progress  float64 `json:"progress,omitempty"`
	ReadSoFar int64   `json:"read_so_far_bytes,omitempty"`
}

// WorkerList lists at most Limit workers: dead and excluded ones first,
// then the others by id, earlier ones (of before a restart) last.
type WorkerList struct {
	Limit   int         `json:"limit"`
	Omitted int         `json:"omitted"`
	Rows    []WorkerRow `json:"rows"`
}

// WorkerRow is one worker. State is the first of these that applies:
// earlier (registered before a restart of the coordinator), excluded
// (taken out of the job), dead (declared dead), exited (told the job is
// over), working (an attempt is running) or idle.
type WorkerRow struct {
	ID           string `json:"id"`
	Addr         string `json:"addr"` // its run-file server
	State        string `json:"state"`
	Dead         bool   `json:"dead"`
	Current      string `json:"current,omitempty"` // the attempt it runs
	SilentMS     int64  `json:"silent_ms"`         // since it was last heard from
	Attempts     int    `json:"attempts"`
	Won          int    `json:"won"`
	Failed       int    `json:"failed"`                // attempts that failed or died
	ReadBytes    int64  `json:"read_bytes"`            // input its committed map attempts read
	FetchedBytes int64  `json:"fetched_bytes"`         // run files its reduce attempts fetched
	WrittenBytes int64  `json:"written_bytes"`         // run files and outputs it wrote
	Pool         bool   `json:"pool,omitempty"`        // a pool member
	Jobs         int    `json:"jobs_before,omitempty"` // jobs it served before this one
	Holds        int    `json:"inputs_held,omitempty"` // the job's inputs its -data directory holds
	Excluded     string `json:"excluded,omitempty"`    // why it was excluded
	// Its running attempt's AttemptRow.Progress and ReadSoFar: the
	// input read so far is ReadBytes + ReadSoFar.
	Progress  float64 `json:"progress,omitempty"`
	ReadSoFar int64   `json:"read_so_far_bytes,omitempty"`
}

// Result is the end of the job: its summary, and where its files are.
type Result struct {
	Elapsed        string `json:"elapsed"`
	MapAttempts    int    `json:"map_attempts"`
	ReduceAttempts int    `json:"reduce_attempts"`
	OutDir         string `json:"out_dir"`           // absolute
	Final          string `json:"final,omitempty"`   // mr-<app>-all in OutDir, when done
	Outputs        string `json:"outputs,omitempty"` // "mr-out-0 … mr-out-9", when done
	SummaryFile    string `json:"summary_file,omitempty"`
}

// The status page's read-only access, when the job has a secret. A
// browser cannot sign requests, so GET / and GET /status (and nothing
// else) also accept the read-only token StatusToken(secret, job) as
// ?token=HEX; a page requested so sets it as the cookie TokenCookie, which
// its own polling of /status then carries. The token grants reading
// only: a connection that carries it is not authenticated, and stays
// among the strangers' (capped per host, dropped for newcomers, closed
// past its deadline).
//
// A refusal (401) names the job in the header JobHeader: a client that
// holds the secret (mrstatuscheck, tests) derives the token from it and
// asks again. The job's id is no secret: the token needs the secret too.
const (
	PathPage    = "/"
	TokenParam  = "token"
	TokenCookie = "mr_status_token"
	JobHeader   = "X-Mr-Job"
)

// statusTokenLabel is what the read-only token is derived for.
const statusTokenLabel = "mapreduce status read-only v2"

// StatusToken is the status page's read-only token of one job: hex of
// HMAC-SHA256(secret, "mapreduce status read-only v2" NUL job), where job
// is the job's id. It reveals nothing of the secret, grants nothing but
// reading the status, and opens no other job of the same secret.
func StatusToken(secret []byte, job string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(statusTokenLabel))
	m.Write([]byte{0})
	m.Write([]byte(job))
	return hex.EncodeToString(m.Sum(nil))
}
