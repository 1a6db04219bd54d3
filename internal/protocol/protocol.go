// The RPC messages between worker and coordinator: actions, task kinds,
// attempts, and every method's args and reply.

package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Action tells a worker what to do next.
type Action uint8

const (
	ActWait       Action = iota // nothing to do now: ask again
	ActMap                      // run the map attempt described in the reply
	ActReduce                   // run the reduce attempt described in the reply
	ActExit                     // the job is over: exit
	ActReregister               // the coordinator does not know this worker (any more)
)

func (a Action) String() string {
	switch a {
	case ActWait:
		return "wait"
	case ActMap:
		return "map"
	case ActReduce:
		return "reduce"
	case ActExit:
		return "exit"
	case ActReregister:
		return "reregister"
	}
	return "action?"
}

// TaskKind is map or reduce.
type TaskKind uint8

const (
	MapTask TaskKind = iota + 1
	ReduceTask
)

func (k TaskKind) String() string {
	switch k {
	case MapTask:
		return "map"
	case ReduceTask:
		return "reduce"
	}
	return "task?"
}

// Attempt names one attempt of one task as run by one worker: every
// report and every attempt-bound request carries it.
type Attempt struct {
	WorkerID string
	Kind     TaskKind
	Task     int
	N        int // 1, 2, ... per task
}

// String is the attempt's name in log lines: "map-3.a2".
func (a Attempt) String() string { return AttemptName(a.Kind, a.Task, a.N) }

// RegisterArgs introduces a worker: the app it runs, the host:port of its
// run-file server, and its half of the session's key agreement (an X25519
// public key). The connection is then bound to the new worker.
type RegisterArgs struct {
	App    string
	Addr   string
	Public []byte
	// Build is the app's build: the SHA-256 of its plugin file, hex; ""
	// when the app is not a plugin. Every worker of a job runs one build.
	Build string
	// Pool says the worker is a pool member (mrworker without a plugin),
	// which has served Jobs jobs before this one.
	Pool bool
	Jobs int
	// WholeFiles says the worker's app needs whole files (its plugin
	// exports WholeFiles = true): a job that cut an input refuses it.
	WholeFiles bool
	// Offer lists the map outputs this worker still holds from a
	// journaled job whose coordinator restarted: the coordinator takes
	// back those its journal names (RegisterReply.Adopted).
	Offer *Offer
	// Partitioning is how the worker sends keys to reduce tasks by
	// default: Partitioning for this build, 0 for a build before it.
	Partitioning int
}

// Partitioning names the default partitioning of this build's workers:
// a key's reduce task is mapside.Partition(PartitionSeed, key, R), the
// low half of the key's seeded hash scaled to R. (0, unsaid, was FNV-1a
// of the key modulo R.) Every map task of a job must partition alike, or
// a key would reach two reduce tasks: a coordinator refuses a worker that
// does not say this, and a worker a coordinator.
const Partitioning = 2

// Offer is what a worker held for a journaled job before its
// coordinator restarted: the job's id, the worker's id then, and the map
// attempts whose output it still holds.
type Offer struct {
	Job    string
	Worker string
	Maps   []MapAttempt
}

// RegisterReply carries the worker's id, the coordinator's half of the
// key agreement (both sides derive the session key; it never crosses the
// wire), the job's split size, which bounds the input a map attempt
// holds, how long the coordinator holds a long poll (GetTask, Locate)
// before answering "nothing yet", and its clock, against which signed
// HTTP requests are judged fresh.
type RegisterReply struct {
	WorkerID  string
	Public    []byte
	NReduce   int
	SplitSize int64
	LongPoll  int64 // nanoseconds
	Now       int64 // the coordinator's clock, unix nanoseconds
	// HeartbeatEvery is how often the worker says it is alive,
	// nanoseconds: a fraction of the coordinator's heartbeat timeout (at
	// most 500 ms), so that no timeout is too short for the heartbeats.
	HeartbeatEvery int64
	// AttemptLimit is how long an attempt's app code may make no progress
	// before the worker kills it, nanoseconds.
	AttemptLimit int64
	// Job identifies the job; with Journaled, the coordinator keeps a
	// journal and, killed, can be started again on it: its workers then
	// wait up to RestartWindow (nanoseconds) for it instead of exiting,
	// keep their outputs and offer them back when they register again.
	Job           string
	Journaled     bool
	RestartWindow int64
	// Adopted lists the offered map outputs taken back: the worker serves
	// them again; it deletes the others.
	Adopted []MapAttempt
	// Partitioning is the coordinator's (the constant Partitioning), and
	// PartitionSeed the job's seed of the keys' hash: drawn with the job,
	// after its inputs were fixed, and the same for every worker.
	Partitioning  int
	PartitionSeed uint64
	// Params are the job's parameters (mr.Param), at most MaxParams.
	Params map[string]string
	// Cuts, for a total-order job, are NReduce-1 increasing keys: key k
	// goes to the reduce task of how many cut points are <= k.
	Cuts []string
	// MapOnly is a map-only job: its tasks are the scheduler's reduce
	// tasks, NReduce of them, one per map task; task X reads map task X's
	// split (GET /split) and its output is Map's records in the order
	// emitted, uploaded as a reduce output is.
	MapOnly bool
	// Stream, for a streaming job, is its commands and shipped files: a
	// worker runs them only if it runs streaming jobs.
	Stream *Stream
}

// ResumeArgs binds a new connection to an existing session: Proof is
// HMAC-SHA256(session key, "resume", the connection's server nonce).
type ResumeArgs struct {
	WorkerID string
	Proof    []byte
}

// ResumeReply says whether the session was resumed; if not, the worker
// registers again.
type ResumeReply struct {
	OK bool
}

// HeartbeatArgs names the worker that is alive, and how far its current
// attempt has got (0 to 1; 0 when idle or unknown), so the coordinator
// can tell which running attempt will finish last.
type HeartbeatArgs struct {
	WorkerID string
	Attempt  Attempt // the attempt Progress is about; zero when idle
	Progress float64
	// Verified answers the coordinator's Verify: whether this worker
	// still holds each of those map outputs intact (every run verified
	// by its trailer).
	Verified []Verified
}

// Verified is an owner's word on one of its map outputs.
type Verified struct {
	MapAttempt
	Held bool
}

// HeartbeatReply says whether the worker should go on (ActWait),
// re-register or exit, and lists map tasks whose output this worker holds
// but nobody needs any more (superseded, re-run elsewhere): the worker
// deletes their files.
type HeartbeatReply struct {
	Action Action
	Drop   []int
	// Verify asks the worker whether it still holds these map outputs of
	// its intact: reducers on other hosts say they cannot fetch them.
	// It answers in a later heartbeat (HeartbeatArgs.Verified).
	Verify []MapAttempt
}

// GetTaskArgs asks for work. The call long-polls: it returns ActWait only
// after the coordinator's long-poll interval passed with nothing to hand out.
type GetTaskArgs struct {
	WorkerID string
	// Committing are the worker's reduce attempts whose outputs it is
	// still uploading: they stay running while it runs the next one.
	Committing []Attempt
}

// GetTaskReply describes one attempt of one task, and for a reduce
// perhaps a batch of further ones (Batch).
type GetTaskReply struct {
	Action  Action
	Task    int
	Attempt int
	NMap    int
	NReduce int
	Inputs  []Split // ActMap: the input, one piece per file, in order
	// Sources (ActMap, one per piece of Inputs, or none from a coordinator
	// of before): where each piece can be read, and its blocks' checksums,
	// in blocks of BlockSize bytes.
	Sources   []InputSource
	BlockSize int64
	Reason    string // ActExit: why the job ended, when it failed
	// SourcesVersion is, for ActReduce, the version of the map outputs'
	// locations the attempt needs (the Sources call). It is the same for
	// every reduce task until a map output moves, so a worker asks once,
	// and an assignment's size does not grow with M.
	SourcesVersion int
	// Batch (ActReduce only, at most MaxReduceBatch) names further reduce
	// attempts assigned with this one: the worker fetches their runs with
	// one request per owner and reports them in one ReportReduces.
	Batch []BatchTask
	// Extend (ActMap): the attempt keeps its output open once it has
	// mapped its input, and asks ExtendMap for more before it finishes
	// it: its task may have absorbed others, or absorb one now.
	Extend bool
}

// ExtendMapArgs is a running map attempt, its input mapped and its
// output open, asking for more: Mapped is how many parts it mapped
// besides its own input, so that a call sent again (its reply lost) is
// answered as the first was.
type ExtendMapArgs struct {
	Attempt Attempt
	Mapped  int
}

// ExtendMapReply: with OK false the attempt no longer runs, and its
// worker drops what it mapped. Else Part, if not nil, is the next input
// to map into the same output: a task its task absorbed, read under the
// name Attempt{Task: Part.Task, N: the attempt's number}; nil says
// finish the output and report the attempt.
type ExtendMapReply struct {
	OK   bool
	Part *GetTaskReply
}

// BatchTask is one further reduce attempt of a batched assignment.
type BatchTask struct{ Task, Attempt int }

// MaxReduceBatch bounds the reduce attempts of one assignment, of one
// POST /runs and of one ReportReduces: with MaxInlineReduce bytes of
// output in all and MaxUserCounters per attempt, a report stays well
// under wire.MaxRequest. MaxBatchRuns bounds the runs a batch fetches,
// its attempts times the map tasks, so that a worker's record of them
// stays small whatever M is: with M over MaxBatchRuns/2, no batch.
const (
	MaxReduceBatch = 32
	MaxBatchRuns   = 1 << 16
)

// SourcesArgs asks where every map task's output is, as of Version or
// newer.
type SourcesArgs struct {
	WorkerID string
	Version  int
}

// SourcesReply lists every worker holding map output once, and every map
// task's committed output by owner: O(M + workers) whatever R is. Maps is
// packed (PackSources) so that a reply for 200,000 maps encodes as one
// byte slice rather than as 200,000 structs.
type SourcesReply struct {
	Version int
	Owners  []string // host:port of each owner's run-file server
	Maps    []byte   // per map task, in order: uvarint attempt, uvarint owner
	// Absorbed lists the map tasks another map task absorbed (its
	// attempts mapped their input too): their output is empty, always.
	Absorbed []int
}

// PackSources packs map outputs for SourcesReply.Maps. A map task whose
// output is not committed now (it is being re-run) has attempt 0 and
// owner 0.
func PackSources(maps []MapSource) []byte {
	b := make([]byte, 0, 4*len(maps))
	for _, m := range maps {
		b = binary.AppendUvarint(b, uint64(m.Attempt))
		b = binary.AppendUvarint(b, uint64(m.Owner))
	}
	return b
}

// UnpackSources reads SourcesReply.Maps for nMap map tasks, refusing
// anything out of bounds.
func UnpackSources(b []byte, nMap, nOwners int) ([]MapSource, error) {
	maps := make([]MapSource, nMap)
	for i := range maps {
		a, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errors.New("sources: truncated")
		}
		o, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || a > 1<<31 || (a > 0 && o >= uint64(nOwners)) || (a == 0 && o != 0) {
			return nil, fmt.Errorf("sources: map %d: attempt %d owner %d of %d", i, a, o, nOwners)
		}
		maps[i], b = MapSource{Map: i, Attempt: int(a), Owner: int(o)}, b[k1+k2:]
	}
	if len(b) != 0 {
		return nil, errors.New("sources: trailing bytes")
	}
	return maps, nil
}

// Split is a line-aligned byte range of one input file. A map task's
// input is one Split of a large file, or whole small files packed up to
// the split size: GET /split sends their bytes back to back, and Map is
// called once per file.
type Split struct {
	File   string // the name as given on the coordinator's command line
	Offset int64
	Length int64
}

// MapSource locates the committed output of one map task: the attempt
// that won (0 if none now), and its owner, an index into
// SourcesReply.Owners.
type MapSource struct {
	Map     int
	Attempt int
	Owner   int
}

// Location is where Locate finds one map task's committed output.
type Location struct {
	Map     int
	Attempt int
	Addr    string // host:port of the owner's run-file server
	// Absorbed: another map task's attempts map this one's input, and
	// its output is empty, always (there is nothing to fetch).
	Absorbed bool
}

// ReportMapArgs reports a finished map attempt. Its output is one
// sections file of R runs (mr-X.aN), each verifiable by its own trailer,
// so the coordinator keeps no size or CRC per map and reduce task.
type ReportMapArgs struct {
	Attempt  Attempt
	NReduce  int      // the runs in its sections file
	Parts    int      // the parts it mapped besides its task's own input (ExtendMap): all of its task's
	Written  int64    // bytes of its sections file
	Read     int64    // input bytes read
	Counters Counters // the attempt's counts, engine's and app's
}

// ReportReply says whether a report was applied; a stale one is not. A
// map report's reply may carry the worker's next assignment, when one was
// ready at once, to save it a GetTask round trip.
type ReportReply struct {
	Accepted bool
	Next     *GetTaskReply
}

// ReportReduceArgs reports a finished reduce attempt whose output is
// small enough to travel in the report (at most MaxInlineReduce bytes):
// the report is then the upload, committed as POST /reduce commits one,
// and its reply may carry the next assignment, as a map report's does. A
// job of thousands of small reduce tasks saves an HTTP request and a
// GetTask round trip per task.
type ReportReduceArgs struct {
	Attempt  Attempt
	Run      []byte   // the output, a run file
	CRC      uint32   // Run's CRC-32C
	Read     int64    // bytes the attempt fetched
	Counters Counters // the attempt's counts, engine's and app's
}

// MaxInlineReduce is the largest reduce output sent in its report rather
// than by POST /reduce: well under MaxRequest. It bounds the outputs of
// one ReportReduces too, all together.
const MaxInlineReduce = 256 << 10

// ReportReducesArgs reports several finished reduce attempts of one
// worker (a batch, at most MaxReduceBatch), their outputs together at
// most MaxInlineReduce bytes: each is applied as its ReportReduce would
// be, and the reply may carry the next assignment.
type ReportReducesArgs struct {
	Reports []ReportReduceArgs
}

// ReportReducesReply says which reports were accepted, in order, and may
// carry the worker's next assignment.
type ReportReducesReply struct {
	Accepted []bool
	Next     *GetTaskReply
}

// FailureClass says whose fault a failed attempt was.
type FailureClass uint8

const (
	// FailApp is the app's: Map, Combine or Reduce panicked, exited,
	// crashed, made no progress for the attempt limit, or outgrew its
	// memory limit. It counts against the task.
	FailApp FailureClass = iota + 1
	// FailWorker is the worker's own: its disk, reading the split,
	// fetching runs from peers, uploading. It counts against the worker.
	FailWorker
)

func (c FailureClass) String() string {
	switch c {
	case FailApp:
		return "app"
	case FailWorker:
		return "worker"
	}
	return "failure?"
}

// ReportFailureArgs reports an attempt that could not complete, whose
// fault it was, and why (for an app failure, the app's last message).
type ReportFailureArgs struct {
	Attempt Attempt
	Class   FailureClass
	Err     string
	// Part, for a map attempt that asks for more (GetTaskReply.Extend),
	// is where it failed: 0 on its task's own input, k on the k-th task
	// absorbed, -1 finishing its output. An app's failure counts against
	// that input (scheduler.FailedIn).
	Part int
}

// LocateArgs asks where map task Map's output lives now, for the reduce
// attempt Attempt. Failed names the map attempt whose output could not be
// fetched (0 if none): the coordinator then re-runs that map.
type LocateArgs struct {
	Attempt Attempt
	Map     int
	Failed  int
}

// LocateReply gives the current location when Ready. Abort tells the
// reducer its attempt is no longer wanted.
type LocateReply struct {
	Ready  bool
	Abort  bool
	Source Location
}

// JobArgs asks what job the coordinator runs; a connection need not be
// bound to a worker to ask.
type JobArgs struct{}

// JobInfo is the job a coordinator runs: its id, its app's name and
// build (the plugin's SHA-256, hex; "" while unknown), whether the
// coordinator ships the plugin (of Size bytes), and whether the job is
// over.
type JobInfo struct {
	Job   string
	App   string
	Build string
	Ships bool
	Size  int64
	Over  bool
	// Stream, for a streaming job, is its commands and the files its
	// coordinator ships (App fetches each by its Sum); Build is then
	// Stream.Build() and Ships false.
	Stream *Stream
}

// AppArgs asks for the bytes of the job's plugin from Offset on.
type AppArgs struct {
	Offset int64
	// Sum, for a streaming job, names the shipped file asked for.
	Sum string
}

// AppReply carries at most MaxAppChunk bytes of the plugin.
type AppReply struct {
	Data []byte
}

// MaxAppChunk bounds one AppReply's data.
const MaxAppChunk = 8 << 20

// DeclineArgs tells the coordinator that a pool worker, at host Addr,
// will not run the job: its plugin does not load there, or the
// coordinator is not to be trusted with running code there.
type DeclineArgs struct {
	Addr   string
	Reason string
}

// DeclineReply is empty: the coordinator only takes note.
type DeclineReply struct{}

// LeaveArgs tells the coordinator that a worker stops (a signal told it
// to): its running attempt, and the map outputs it held, are to be redone
// at once rather than after the heartbeat timeout. It is no failure of
// the worker's.
type LeaveArgs struct {
	WorkerID string
}

// LeaveReply is empty.
type LeaveReply struct{}
