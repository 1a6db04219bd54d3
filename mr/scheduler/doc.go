// Package scheduler is the coordinator's brain as a plain value: tasks,
// attempts, owners and workers, with no goroutines, sockets, processes,
// files or clock. The coordinator locks, applies one input, takes the
// events and copies the answer; tests move now by hand and never sleep.
//
// Its API is named after the inputs it applies, one verb each, as etcd's
// RawNode is: a worker Registers, Offers back outputs of before a restart,
// Heartbeats, says which inputs it Holds, asks to be Assigned an attempt,
// reports it Done or Failed, Locates map outputs (and reports those it
// could not fetch) and Leaves; the coordinator's clock Ticks, a journal
// Restores a restarted job, and the coordinator Ends the job. What
// happened comes out as typed Events (TakeEvents), each kind with its one
// log message. The queries are views: Job (cheap), Progress, Attempt,
// Sources, Holders, Status and Summary.
//
// A job is M map tasks and R reduce tasks. Every assignment is a numbered
// attempt ("map-3.a2", protocol.Attempt), or, while many reduce tasks are
// left for each worker, a batch of reduce attempts that the worker
// fetches together and reports in one call, each still an attempt of its
// own. A report is applied only while its attempt runs for a live worker,
// so late, superseded and dead workers' reports change nothing, and the
// winner's own report sent again is answered as the first was.
//
// Failures come in two classes (protocol.FailureClass): the app's count
// against the task, the worker's own against the worker, which is
// excluded from the job when it keeps failing. A committed map is re-run
// only on evidence from reducers that could not fetch it, and at the end
// of a phase idle workers back up the attempt expected to finish last.
package scheduler
