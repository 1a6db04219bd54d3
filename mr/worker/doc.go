// Package worker is the worker process of a job: it registers with the
// coordinator, heartbeats on its own goroutine, asks for attempts and runs
// them, and serves the run files of its committed map attempts to
// reducers. The app's code runs in an executor (mr/executor), usually a
// child process, so that the app's crash costs only its attempt.
//
// Everything the worker asks of its coordinator goes through one typed
// client, the seam that tests fake, and what it knows of the coordinator
// (not reached yet, answering, in an outage being waited out, lost) is one
// small state machine on a clock it is given. A map attempt reads its
// input where it lives (a copy of its own, a peer's, the coordinator's)
// and has the executor map it into one sections file; a reduce attempt
// fetches its runs with one request per owner, verifying each by its
// trailer, has the executor merge and reduce them, and sends the output
// in its report or uploads it. Each worker serves its peers the runs of
// its accepted map attempts and the inputs it holds, and checks
// everything the coordinator sends before using it.
//
// A pool worker (Pool) stays from job to job: it runs each job a
// coordinator at its address offers, with the plugin that coordinator
// ships, kept in a bounded cache.
package worker
