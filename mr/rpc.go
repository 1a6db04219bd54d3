package mr

// The coordinator's RPC interface. Every type here crosses the wire with
// encoding/gob through net/rpc, so fields are exported and every handler
// gets a fresh reply value (gob omits zero fields). A handler returns an
// error only for a real failure; "no" answers are fields of the reply.

import "time"

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

// RegisterArgs introduces a worker: the app it runs and the host:port of
// its run-file server.
type RegisterArgs struct {
	App  string
	Addr string
}

// RegisterReply carries the id the worker uses in every later call, and
// the job's split size, which bounds the input a map attempt holds.
type RegisterReply struct {
	WorkerID  string
	NReduce   int
	SplitSize int64
}

// HeartbeatArgs names the worker that is alive.
type HeartbeatArgs struct {
	WorkerID string
}

// HeartbeatReply says whether the worker should go on (ActWait),
// re-register or exit.
type HeartbeatReply struct {
	Action Action
}

// GetTaskArgs asks for work. The call long-polls: it returns ActWait only
// after the coordinator's long-poll interval passed with nothing to hand out.
type GetTaskArgs struct {
	WorkerID string
}

// GetTaskReply describes one attempt of one task.
type GetTaskReply struct {
	Action  Action
	Task    int
	Attempt int
	NMap    int
	NReduce int
	Split   Split       // ActMap: the input to read from the coordinator
	Sources []MapSource // ActReduce: where each map task's output lives
	Reason  string      // ActExit: why the job ended, when it failed
}

// Split is a line-aligned byte range of one input file.
type Split struct {
	File   string // the name as given on the coordinator's command line
	Offset int64
	Length int64
}

// MapSource locates the committed output of one map task.
type MapSource struct {
	Map     int
	Attempt int
	Addr    string // host:port of the owner's run-file server
	Size    int64  // size of mr-Map-R for the reduce task asking
	CRC     uint32 // CRC-32C of that file's bytes
}

// RunInfo describes one run file written by a map attempt.
type RunInfo struct {
	Size    int64
	CRC     uint32
	Records int64
}

// ReportMapArgs reports a finished map attempt: one RunInfo per reduce task.
type ReportMapArgs struct {
	WorkerID string
	Task     int
	Attempt  int
	Runs     []RunInfo
	Read     int64 // input bytes read
	Elapsed  time.Duration
}

// ReportReply says whether a report was applied; a stale one is not.
type ReportReply struct {
	Accepted bool
}

// ReportFailureArgs reports an attempt that failed inside the app (a
// panic) or could not run at all.
type ReportFailureArgs struct {
	WorkerID string
	Kind     TaskKind
	Task     int
	Attempt  int
	Err      string
}

// LocateArgs asks where map task Map's output lives now, for reduce
// attempt (Reduce, Attempt). Failed names the map attempt whose output
// could not be fetched (0 if none): the coordinator then re-runs that map.
type LocateArgs struct {
	WorkerID string
	Reduce   int
	Attempt  int
	Map      int
	Failed   int
}

// LocateReply gives the current source when Ready. Abort tells the reducer
// its attempt is no longer wanted.
type LocateReply struct {
	Ready  bool
	Abort  bool
	Source MapSource
}
