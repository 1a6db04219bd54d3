package mr

// The enums of the scheduler: what a task is, where it and the job stand,
// and how an attempt ended. Each prints.

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

type taskState uint8

const (
	taskIdle taskState = iota
	taskRunning
	taskDone
)

func (s taskState) String() string {
	return [...]string{"idle", "running", "done"}[s]
}

// Phase is where the job stands.
type Phase uint8

const (
	PhaseMap    Phase = iota // some map task is not done
	PhaseReduce              // all maps done, some reduce is not
	PhaseMerge               // all reduces done; the coordinator writes the final file
	PhaseDone                // the final output is complete
	PhaseFailed              // a task failed too often
)

func (p Phase) String() string {
	return [...]string{"map", "reduce", "merge", "done", "failed"}[p]
}

// Outcome is how an attempt ended.
type Outcome uint8

const (
	OutcomeRunning   Outcome = iota
	OutcomeWon               // its report was the first valid completion
	OutcomeLost              // another attempt won, or its output was lost
	OutcomeFailed            // the app failed, or the worker abandoned it
	OutcomeDied              // its worker was declared dead while it ran
	OutcomeAbandoned         // its worker gave it up (asked for new work, or gave way to a re-run)
)

func (o Outcome) String() string {
	return [...]string{"running", "won", "lost", "failed", "died", "abandoned"}[o]
}
