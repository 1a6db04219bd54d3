// The scheduler's events: what happened, as a typed kind with its one log
// message, for the coordinator to log and for tests to wait on. The
// messages are a contract: the coordinator logs them as they are, scripts
// and people grep for some (events_test.go pins every one).

package scheduler

import "strconv"

// EventKind is what an Event reports. Its String is the event's log
// message, constant: the details go in the event's key/value pairs.
type EventKind uint8

// The kinds of events, by what they concern.
const (
	_                EventKind = iota
	WorkerJoined               // a worker registered: "addr"
	WorkerToldToExit           // a worker was told the job is over, or that it is excluded
	WorkerDied                 // no heartbeat, it left, or its owner was silent: "why"
	WorkerExcluded             // its own failures, or its lost outputs, took it out of the job: "why"
	AllExcluded                // every worker that joined is excluded: "waiting_for_another"
	InputsHeld                 // a worker said which of the job's inputs it holds: "inputs"
	InputCopyDiffers           // a worker's copy of an input differs from the job's checksums: "input", "note"
	InputUnheld                // a manifest job's input no live worker holds: "input", "task", "waiting"

	TaskAssigned      // an attempt started
	TaskSlow          // a running attempt gets a backup: "running" (and "expected_left", "rule" at a phase's end)
	TaskDone          // an attempt won: its task is done
	TaskRecovered     // a reduce task is done by an attempt of before a restart: "from"
	AttemptAbandoned  // its worker asked for new work while it ran
	AttemptFailed     // it failed: "class", "err"
	AttemptGivenUp    // it reported a failure after the job ended: "class", "err"
	AttemptSuperseded // another attempt of its task won: "winner"
	AttemptGivesWay   // a waiting reducer gives way to a map nobody else runs: "waiting_for"
	TaskAbsorbed      // a map attempt's task absorbed an idle map task, for good: "task"

	ReportStale     // a report of an attempt that is not running for a live worker
	ReportRepeated  // the winner's report sent again
	ReportRefused   // a map report with the wrong number of runs: "runs", "want"
	CountersIgnored // a winner's counters broke the bounds: "err"

	FetchFailureReported // a reducer could not fetch a map output: "by", "reports", "verdict"
	OwnerVerified        // an owner said whether it holds an output: "held"
	MapOutputLost        // a committed map output is lost: the map runs again
	MapOutputTakenBack   // an owner offered back an output of before a restart: "ran_as"
	RecoveredMapRerun    // a pending map's owner did not come back in time: "task", "owner_then"
	PhaseChanged         // the job's phase changed: "phase"
	numEventKinds
)

// eventMessages is every kind's log message, by kind.
var eventMessages = [numEventKinds]string{
	WorkerJoined:     "worker joined",
	WorkerToldToExit: "worker told to exit",
	WorkerDied:       "worker died",
	WorkerExcluded:   "worker excluded",
	AllExcluded:      "every worker excluded",
	InputsHeld:       "inputs held",
	InputCopyDiffers: "input copy differs",
	InputUnheld:      "input held by no live worker",

	TaskAssigned:      "task assigned",
	TaskSlow:          "task slow",
	TaskDone:          "task done",
	TaskRecovered:     "task recovered",
	AttemptAbandoned:  "attempt abandoned",
	AttemptFailed:     "attempt failed",
	AttemptGivenUp:    "attempt given up: the job is over",
	AttemptSuperseded: "attempt superseded",
	AttemptGivesWay:   "attempt gives way",
	TaskAbsorbed:      "task absorbed",

	ReportStale:     "stale report ignored",
	ReportRepeated:  "report repeated",
	ReportRefused:   "report refused",
	CountersIgnored: "counters ignored",

	FetchFailureReported: "fetch failure reported",
	OwnerVerified:        "owner verified its output",
	MapOutputLost:        "map output lost",
	MapOutputTakenBack:   "map output taken back",
	RecoveredMapRerun:    "recovered map runs again",
	PhaseChanged:         "phase changed",
}

// String is the kind's log message.
func (k EventKind) String() string {
	if k < numEventKinds && eventMessages[k] != "" {
		return eventMessages[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one thing that happened, for the coordinator to log at Info:
// its kind (whose String is the message), the attempt and worker it
// concerns ("" if none), and more key/value pairs.
type Event struct {
	Kind    EventKind
	Attempt string
	Worker  string
	Args    []any
}

func (s *Scheduler) note(k EventKind, a *attempt, w *worker, args ...any) {
	e := Event{Kind: k, Args: args}
	if a != nil {
		e.Attempt = a.ID()
	}
	if w != nil {
		e.Worker = w.id
	}
	s.events = append(s.events, e)
}

// TakeEvents returns what happened since the last call.
func (s *Scheduler) TakeEvents() []Event {
	ev := s.events
	s.events = nil
	return ev
}
