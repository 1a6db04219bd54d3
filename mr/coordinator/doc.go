// Package coordinator is the coordinator process of a job: it cuts the
// inputs into splits, listens on one TCP port for net/rpc (workers'
// registrations, heartbeats, task requests and reports) and HTTP (input
// splits, reduce uploads, the status page), drives the scheduler's clock,
// commits each reduce task's first complete upload as mr-out-Y and merges
// them into mr-<app>-all, and writes the job summary.
//
// The decisions are the scheduler's (mr/scheduler): every handler checks
// who is asking, locks, calls the scheduler, copies the answer out and
// unlocks; nothing does I/O under the lock. The rest of the coordinator's
// state is grouped by concern, each group with the lock that guards it:
// the network front, the uploads, the app it ships, the journal and
// what restarts left, the directories it writes, and its lifecycle.
package coordinator
