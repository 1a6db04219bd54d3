// Package executor runs the app's code for a worker. An attempt's
// computation is a Task: for a map, a split to call Map on (a file, or
// the coordinator's answer to a request the worker signed), with the
// map side (internal/mapside) grouping, combining, spilling and writing
// one sorted run per reduce task; for a reduce, fetched runs to merge and
// call Reduce (or ReduceSeq) on once per key. Its Result says what it
// wrote and counted, or why it failed, and whose fault that was.
//
// Two Executors run Tasks. Child runs them in a child process, the app's
// process (mrworker -executor app.so, which calls ServeChild), so that an
// app that exits, crashes, panics in a goroutine, hangs or eats memory
// costs only its attempt: the worker keeps its session, its heartbeats and
// the run files it serves, and the next attempt gets a fresh child.
// InProcess runs them in the caller's process, for tests and for apps
// given as Go values.
//
// A streaming job's Task carries its commands instead (Hadoop
// Streaming's contract, stream.go): the same process runs them, with the
// same limits, kills and failure classes.
//
// The executor reads and writes files only where its Task says, and its
// only network I/O is the one request for a split that its Task may carry
// (Fetch), which the worker prepared and signed. Sequential, the reference mrsequential runs, is here
// too: it calls the app the same way.
package executor

import (
	"context"

	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr"
)

// Executor computes attempts. progress is called with a counter that
// grows while the attempt advances (bytes emitted or merged).
type Executor interface {
	Run(ctx context.Context, t *Task, progress func(int64)) Result
	// Close ends the executor; a running attempt's Run returns.
	Close()
}

// Task is one attempt's computation, as the worker hands it over. Every
// path is the worker's to choose; the executor builds none.
type Task struct {
	Kind    protocol.TaskKind
	Name    string            // the attempt, "map-3.a1"
	NReduce int               // 0 for a map of a map-only job: its output is one run, in Scratch if large (Result.Out)
	Params  map[string]string // the job's parameters, for mr.Param
	// Cuts, for a map of a total-order job, are the NReduce-1 cut points
	// that send keys to reduce tasks by ranges (the app's Partition is
	// then not called).
	Cuts []string
	// Seed is the job's seed of the keys' hash, which sends each key to
	// its reduce task by default (mapside.Partition): every map task of
	// a job has the same.
	Seed uint64

	// Map: the split file holds Inputs' bytes back to back; Map is called
	// once per input, with its name. Out is the sections file to write;
	// spills are Spill-K, each one run per reduce task. A split that
	// comes whole from the coordinator is read from it by Fetch instead
	// of from a file, and one that the worker holds whole from its own
	// copies of the inputs, one Copy per input, by Copies.
	Inputs    []Input
	SplitPath string
	Fetch     *Fetch
	Copies    []Copy
	Out       string
	Spill     string
	MapBuffer int64

	// Keep, Group and Drop let map Tasks run one after another in one
	// process share one output, finished once: one sections file for
	// several splits, their keys combined across them (keep.go). A Keep
	// Task, after Map has run on its inputs, leaves the output open: the
	// one named Group, or with no Group a new one named Name (in an app's
	// process, which serves one worker, the one open before is dropped: a
	// worker that moved on leaves no buffer behind). Its values are then
	// copies (mapside's Detach), so that the split can go before the next
	// is read. Its Result counts its split; the output's
	// counts come with the Task that finishes it: a Task with a Group and
	// no Keep, which writes it to Out, after mapping its own split if it
	// has one. A Drop Task drops the output named Group, if it is open,
	// its spills removed. The spills keep the Spill of the Task that
	// opened the output. A Group not open in the process (the process
	// was restarted, or a Task of the group failed) fails the Task, as
	// the worker's failure: it maps the group's splits again.
	Keep  bool
	Group string
	Drop  bool

	// Reduce: the fetched runs, in map order, merged MergeFanIn at a time
	// in Scratch (made if need be), where a large output run is written
	// (Result.Out).
	Runs       []runfile.Segment
	Scratch    string
	MergeFanIn int

	// HeapLimit, if positive, is the soft limit of the Go heap of the
	// process that computes the attempt (debug.SetMemoryLimit): enough
	// for the split and the map buffer. The process then collects only
	// near it (GOGC off). An app's process is started before its worker
	// knows the job, so the limit travels with tasks.
	HeapLimit int64

	// Stream, for a streaming job, is its commands, run instead of the
	// app's functions (stream.go). Files are the shipped files' paths by
	// name, linked into WorkDir, the attempt's working directory, which
	// the attempt makes and removes ("": a temp dir).
	Stream  *protocol.Stream
	Files   map[string]string
	WorkDir string
}

// Input is one input of a map task: its name, as Map sees it, and its
// length in the split file.
type Input struct {
	Name   string
	Length int64
}

// Copy is an input's piece read from the worker's own copy of the input:
// the file at Path, used only while it has the Key it was listed with,
// every block covering the piece checked against the job's checksums
// before a byte of it counts (manifest.ReadInto), and the piece read
// straight into the split's memory, as a split from the coordinator is.
type Copy struct {
	Path  string
	Key   manifest.FileKey
	Piece manifest.Piece
}

// Result is how an attempt's computation ended.
type Result struct {
	Written  int64             // map: bytes of its sections file (0 for a Keep Task: none yet)
	Out      runfile.Segment   // reduce, map-only: the output run, in a file or in memory
	Err      string            // "" on success
	App      bool              // the failure was the app's, not the disk's
	Copy     *CopyFailure      // the attempt failed on one of its Copies, before Map was called
	Counters protocol.Counters // the engine's and the app's counts
	Dropped  int               // the app's counter Adds dropped past the limit of names
}

// CopyFailure says which of a map Task's Copies could not be used: its
// bytes differ from the job's checksums (or could not be read), or the
// file is no longer the one listed, or could not be opened.
type CopyFailure struct {
	Piece   int    // the index in Copies
	Differs bool   // the copy's bytes differ: it is bad, not merely changed since listed or gone
	Cause   string // what was wrong, without the attempt's words around it
}

// failed reports whether the attempt failed.
func (r *Result) failed() bool { return r.Err != "" }

// InProcess computes attempts in the caller's own process: for tests, and
// for apps given as Go values rather than plugins. An app that hangs or
// exits takes the caller with it. The app's counters (mr.Counter) count
// the one attempt a process runs: with several in-process workers running
// attempts at once, their counts mix, and only a lone worker's are exact.
type InProcess struct{ App *mr.App }

// Run computes t.
func (e InProcess) Run(_ context.Context, t *Task, progress func(int64)) Result {
	var m meter
	res := runTask(e.App, t, &m)
	progress(m.bytes.Load())
	return res
}

// Close does nothing.
func (InProcess) Close() {}
