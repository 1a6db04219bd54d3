// Package mr is a distributed MapReduce engine in the manner of the
// Google MapReduce paper (OSDI'04): one coordinator, any number of
// workers on any machines of a LAN, and no shared file system.
//
// Apps and commands use a few names: an App (Map, Reduce, optional
// MapEmit and Combine) loaded by LoadPlugin, which may count with
// Counter; NewCoordinator with a Config and Coordinator.Run; NewWorker
// with a WorkerConfig and Worker.Run; Sequential, the reference; Summary,
// the job's record.
//
// # A job, start to end
//
// The coordinator is given input files and cuts them into line-aligned
// splits, one map task each. It listens on one TCP port for both net/rpc
// and HTTP. Workers register, heartbeat every 500 ms, and long-poll for
// attempts. The app's code runs in an executor, a child process of the
// worker. A map attempt reads its split from the coordinator into a file;
// the executor calls Map, groups the records by key as they are emitted
// (combining and spilling past a buffer) and writes one sorted run per
// reduce task, all in one file mr-X.aN in the worker's own directory; the
// worker reports it, and from then serves it, and only what was accepted,
// to reducers. Once every map is done, a reduce attempt fetches its
// partition with one request per owner, each run verified by its own
// trailer; the
// executor merges the runs streaming and calls Reduce (or ReduceSeq) once
// per key; the worker uploads the result; the coordinator commits the first complete upload of a running
// attempt as mr-out-Y. When all R are in, it merges them into
// mr-<app>-all, the same bytes mrsequential writes, writes the summary,
// and tells the workers to exit.
//
// # Seeing the job
//
// The coordinator's port also serves a status page at / and the same
// data as JSON at /status: phase, progress, throughput, every task's
// attempts on a timeline (the most telling first, capped), every worker,
// the counters, and at the end where the outputs are. Counters (OSDI'04
// §4.9) are the engine's and the app's (Counter); each attempt reports
// its own, and the job's are the sum over winning attempts only.
//
// # Failures
//
// Every assignment is a numbered attempt ("map-3.a2"); a report names its
// attempt and is applied only while that attempt is running, so a late,
// superseded or dead worker's report changes nothing; the winner's own
// report or upload sent again (its answer was lost) is accepted again
// and changes nothing. A worker silent for 4 s is dead: its running
// attempt and the map outputs it holds go back to idle while reducers
// may still need them. An attempt running 10 s gets one backup
// elsewhere; at the end of a phase a free worker backs up the attempt
// expected to finish last, judged by the progress in its worker's
// heartbeats (LATE); the first completion wins.
//
// A failed attempt says whose fault it was. The app's failures count
// against the task: a task failing 12 times fails the job, in one line
// naming the task, its input and the app's last error. The worker's own
// (disk, network) count against the worker: three in a row exclude it
// from the job (its outputs are re-run, it is told why and exits), and a
// job whose every worker was excluded fails. A reducer that cannot fetch
// a run file reports it (Locate); the map is re-run only on evidence:
// its owner silent (then dead), or the reducers of two workers (or the
// owner's own) failing; one reducer alone fetches again, and if it keeps
// failing alone its own attempt fails. A worker whose outputs are lost
// three times is excluded; an owner is told which outputs nobody needs
// any more (HeartbeatReply.Drop). A worker that cannot reach the
// coordinator for 3 s exits with ErrCoordinatorLost; one that never reached it waits longer
// (WorkerConfig.WaitCoordinator), so workers may be started first. An
// executor that exits, crashes, makes no progress for the attempt limit
// or outgrows its memory is killed; its attempt is an app failure, and
// the worker goes on.
//
// With a job secret every connection and request is authenticated
// (internal/protocol says how); without one, sessions still keep a worker
// id alone from authorizing anything.
//
// # Where things are
//
// Packages, leaves first; each imports only those above it (runfile uses
// atomicfile, protocol uses auth), and no leaf imports anything of the
// engine:
//
//	internal/atomicfile   files that appear only complete (temp + rename)
//	internal/runfile      the run-file format, its verifying reader, the stable
//	                      k-way merge, multi-pass merges, text output
//	internal/auth         keys from the job secret, signed requests with
//	                      freshness, X25519 session keys, log rate limits
//	internal/protocol     everything on the wire: RPC types, HTTP endpoints,
//	                      headers, query encoding, the CONNECT handshake and the
//	                      framed, MACed RPC codec, names of attempts and run files,
//	                      counters, the /status JSON and the page's read-only token
//	internal/statuspage   the status page: html/template + embed, page.html
//	                      (inline style and script), rendering a protocol.Status
//	mr (this package)     the engine, using all five
//	internal/statuscheck  a command, test-mr.sh's checker of /status, the page's
//	                      DOM, screenshots and counters
//
// Files of this package, by role:
//
//	doc.go, kv.go, plugin.go    the app's side: KeyValue, App, LoadPlugin, calling
//	                            the app with its panics turned into errors
//	config.go                   Config, WorkerConfig and their defaults
//	counters.go                 Counter for apps; an attempt's counters, the sum
//	                            over winning attempts
//	layout.go                   every file name, on the coordinator and the workers
//	retry.go                    the one retry policy (capped exponential backoff)
//
//	coordinator.go              Coordinator: lifecycle, tickers, events, shutdown
//	coordinator_rpc.go          the RPC handlers, one set per connection (its session);
//	                            each checks the session, locks, calls the scheduler, copies
//	coordinator_http.go         GET /split, POST /reduce, signed by the worker's session
//	coordinator_status.go       GET / and GET /status, who may read them, progress
//	                            reports, the hint when no worker comes, linger
//	status.go                   the scheduler as a protocol.Status at a given now,
//	                            bounded; throughput samples; the progress line
//	output.go                   mr-out-Y from verified uploads, the final merge, an
//	                            earlier job's outputs removed at start
//	split.go                    cutting inputs into line-aligned splits
//	summary.go                  the job summary (mr-<app>-summary.json)
//
//	scheduler.go                the scheduler: a pure state machine with an injected
//	                            now; workers, tasks, attempts, assignment
//	scheduler_reports.go        reports, each fenced by its attempt; repeated ones
//	scheduler_workers.go        heartbeats, drop lists, failures by class, exclusion
//	scheduler_locate.go         Locate, and the evidence that re-runs a map
//	scheduler_backup.go         backups: the timeout queue and LATE at a phase's end
//	scheduler_time.go           expiry of silent workers and slow attempts; progress
//	states.go, queues.go        its enums and its idle queue and deadline heap
//
//	worker.go                   Worker: lifecycle, the task loop
//	worker_coord.go             its dealings with the coordinator: calls, registration and
//	                            session, heartbeats (with progress and drop lists), reports
//	client.go                   the worker's RPC client (deadline per call, redial, resume)
//	maptask.go                  a map attempt: split read into a file, handed to the executor
//	reducetask.go               a reduce attempt: fetch, hand to the executor, upload
//	shuffle.go                  the run-file server and the verified fetch
//	executor.go                 the app's process, supervised: exits, crashes, hangs past the
//	                            attempt limit, memory past its limit cost only the attempt
//	executor_child.go           inside it: Map with the map side, Reduce over the merge
//	mapside.go                  grouping, combine, spills and the final runs of a map attempt
//	mapgroup.go                 its groups of records by key: index, runs of values, sort
//	mapspill.go                 its spills (runs of equal values as one record) and their merge
//	progress.go                 how far the current attempt has got, for heartbeats
//	faults.go                   local disk errors; failures tests inject ($MR_FAULTS)
//
//	validate.go                 checks of everything a peer sends
//	limit.go                    a listener that caps its open connections
//	secret.go                   LoadSecret: the job secret from a file or $MR_SECRET
//
//	sequential.go               Sequential, the reference mrsequential runs
//
// The coordinator reaches the scheduler only through its methods, under
// one lock, and never does I/O while holding it. Every log line of every
// process names the attempt and the worker it concerns, so one grep for
// "map-3\." across all logs tells that task's story.
package mr
