// Package mr is a distributed MapReduce engine in the manner of the
// Google MapReduce paper (OSDI'04): one coordinator, any number of
// workers on any machines of a LAN, and no shared file system.
//
// Apps and commands use a few names: an App (Map, Reduce, optional
// MapEmit and Combine) loaded by LoadPlugin; NewCoordinator with a Config
// and Coordinator.Run; NewWorker with a WorkerConfig and Worker.Run;
// Sequential, the reference; Summary, the job's record.
//
// # A job, start to end
//
// The coordinator is given input files and cuts them into line-aligned
// splits, one map task each. It listens on one TCP port for both net/rpc
// and HTTP. Workers register, heartbeat every 500 ms, and long-poll for
// attempts. A map attempt reads its split from the coordinator, calls Map,
// groups the records by key as they are emitted (combining and spilling
// past a buffer) and writes one sorted run file mr-X-Y per reduce task
// into the worker's own directory, then reports their sizes and CRCs. The
// worker serves those files, and only those, to reducers. Once every map
// is done, a reduce attempt fetches its partition from every owner,
// merges the runs streaming, calls Reduce once per key and uploads the
// result; the coordinator commits the first complete upload of a running
// attempt as mr-out-Y. When all R are in, it merges them into
// mr-<app>-all, the same bytes mrsequential writes, writes the summary,
// and tells the workers to exit.
//
// # Failures
//
// Every assignment is a numbered attempt ("map-3.a2"); a report names its
// attempt and is applied only while that attempt is running, so a late,
// superseded or dead worker's report changes nothing. A worker silent for
// 4 s is dead: its running attempt and the map outputs it holds go back
// to idle while reducers may still need them. An attempt running 10 s
// gets one backup elsewhere; the first completion wins. A reducer that
// cannot fetch a run file reports it (Locate); the coordinator re-runs
// that map task, or declares its silent owner dead, and tells the reducer
// the new owner. A worker that cannot reach the coordinator for 3 s exits
// with ErrCoordinatorLost.
//
// # Where things are
//
// Packages, leaves first; each imports only those above it, and no leaf
// imports anything of the engine:
//
//	internal/atomicfile   files that appear only complete (temp + rename)
//	internal/runfile      the run-file format, its verifying reader, the stable
//	                      k-way merge, multi-pass merges, text output
//	internal/protocol     everything on the wire: RPC types, HTTP endpoints,
//	                      headers, query encoding, the CONNECT handshake, names
//	                      of attempts and run files
//	mr (this package)     the engine, using all three
//
// Files of this package, by role:
//
//	doc.go, kv.go, plugin.go    the app's side: KeyValue, App, LoadPlugin, calling
//	                            the app with its panics turned into errors
//	config.go                   Config, WorkerConfig and their defaults
//	layout.go                   every file name, on the coordinator and the workers
//	retry.go                    the one retry policy (capped exponential backoff)
//
//	coordinator.go              Coordinator: lifecycle, tickers, events, shutdown
//	coordinator_rpc.go          the RPC handlers; each locks, calls the scheduler, copies
//	coordinator_http.go         GET /split, POST /reduce, GET /status
//	output.go                   mr-out-Y from verified uploads, the final merge
//	split.go                    cutting inputs into line-aligned splits
//	summary.go                  the job summary (mr-<app>-summary.json)
//
//	scheduler.go                the scheduler: a pure state machine with an injected
//	                            now; workers, tasks, attempts, assignment
//	scheduler_reports.go        reports, each fenced by its attempt; Locate
//	scheduler_time.go           expiry of silent workers and slow attempts; progress
//	states.go, queues.go        its enums and its idle queue and deadline heap
//
//	worker.go                   Worker: registration, heartbeats, the task loop, reports
//	client.go                   the worker's RPC client (deadline per call, redial)
//	maptask.go, mapside.go      a map attempt: split read, grouping, combine, spills
//	mapgroup.go, mapspill.go    its groups of records by key (index, runs of values,
//	                            sort), its spills and their merge
//	reducetask.go               a reduce attempt: fetch, merge, Reduce, upload
//	shuffle.go                  the run-file server and the verified fetch
//
//	sequential.go               Sequential, the reference mrsequential runs
//
// The coordinator reaches the scheduler only through its methods, under
// one lock, and never does I/O while holding it. Every log line of every
// process names the attempt and the worker it concerns, so one grep for
// "map-3\." across all logs tells that task's story.
package mr
