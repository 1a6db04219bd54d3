// Package mr is a distributed MapReduce engine in the manner of the
// Google MapReduce paper (OSDI'04): one coordinator, any number of
// workers on any machines of a LAN, and no shared file system.
//
// # A job, start to end
//
// The coordinator (NewCoordinator, Run) is given input files and cuts them
// into line-aligned splits (split.go), one map task each. It listens on one
// TCP port for both net/rpc (coordinator_rpc.go) and HTTP
// (coordinator_http.go). Workers (NewWorker, Run) load an App from a Go
// plugin (plugin.go), register, heartbeat every 500 ms, and long-poll
// GetTask for work.
//
// A map attempt reads its split from the coordinator over HTTP, calls Map,
// partitions the records by ihash(key) % R, sorts each partition, applies
// the app's optional Combine, and writes one run file mr-X-Y per reduce
// task into the worker's own directory (runfile.go: a length-prefixed
// binary format with a count and CRC-32C trailer). It reports the size and
// CRC of every file. The worker then serves those files, and only those,
// to reducers (shuffle.go).
//
// Once every map task is done, a reduce attempt gets the location of each
// map task's committed output, fetches its partition from every owner
// (bounded parallelism, retries, CRC check), merges the sorted runs
// streaming (merge.go) and calls Reduce once per key. It uploads its
// output to the coordinator, which commits the first complete upload of a
// running attempt as mr-out-Y. When all R are in, the coordinator merges
// them into mr-<app>-all, the same bytes mrsequential (Sequential) writes,
// and only then tells workers to exit.
//
// # Failures
//
// The scheduler (scheduler.go) is a state machine without clock, goroutines
// or I/O: the coordinator's handlers call it under one lock with the
// current time, and two tickers expire silent workers and slow attempts.
// Every assignment is a new attempt ("map-3.a2"); a report names its
// attempt and is applied only while that attempt is running, so a late,
// superseded or dead worker's report changes nothing. A worker silent for
// 4 s is dead: its running attempt and the map outputs it holds go back to
// idle while reducers may still need them. An attempt running for 10 s
// gets one backup elsewhere; the first completion wins. A reducer that
// cannot fetch a run file reports it (Locate); the coordinator re-runs
// that map task and tells the reducer the new owner. A worker that cannot
// reach the coordinator for 3 s exits with ErrCoordinatorLost.
//
// Every file becomes visible only complete: it is written under a hidden
// temp name and renamed (files.go).
package mr
