// The enums of the scheduler: where a task and the job stand, and how an
// attempt ended. Each prints.

package scheduler

type taskState uint8

const (
	taskIdle taskState = iota
	taskRunning
	taskDone
	taskPending // a map a journal says was committed before a restart: its owner may offer it back
)

func (s taskState) String() string {
	return [...]string{"idle", "running", "done", "pending"}[s]
}

// phase is where the job stands.
type phase uint8

const (
	phaseMap    phase = iota // some map task is not done
	phaseReduce              // all maps done, some reduce is not
	phaseMerge               // all reduces done; the coordinator writes the final file
	phaseDone                // the final output is complete
	phaseFailed              // a task failed too often, or every worker was excluded
)

func (p phase) String() string {
	return [...]string{"map", "reduce", "merge", "done", "failed"}[p]
}

// outcome is how an attempt ended.
type outcome uint8

const (
	outcomeRunning   outcome = iota
	outcomeWon               // its report was the first valid completion
	outcomeLost              // another attempt won, or its committed output was lost
	outcomeFailed            // it reported a failure: the app's or the worker's own
	outcomeDied              // its worker was declared dead while it ran
	outcomeAbandoned         // its worker gave it up (asked for new work, or gave way to a re-run)
	outcomeExcluded          // its worker was excluded from the job while it ran
)

func (o outcome) String() string {
	return [...]string{"running", "won", "lost", "failed", "died", "abandoned", "excluded"}[o]
}
