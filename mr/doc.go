// Package mr is the contract between a MapReduce app and the engine that
// runs it: what an app imports (KeyValue, Counter, the function types)
// and what loads one (LoadPlugin, App). An app is a Go plugin, a package
// main built with -buildmode=plugin, that exports
//
//	func Map(filename string, contents string) []mr.KeyValue
//	func Reduce(key string, values []string) string
//
// and optionally MapEmit, ReduceSeq (preferred to Reduce when present),
// ReduceEmit (0..n output lines per key; preferred to both), Combine and
// Partition (which reduce task a key goes to), with the signatures of
// MapEmitFunc, ReduceSeqFunc, ReduceEmitFunc, CombineFunc and
// PartitionFunc, and the variable WholeFiles (var WholeFiles = true: the
// app's inputs are never cut into splits). The app's name is its plugin's
// file name: bin/wc.so is "wc". It may count what it sees with Counter,
// and read the job's parameters (mrcoordinator -param NAME=VALUE) with
// Param.
//
// # Why this package is small
//
// A plugin links this package, the standard library and its own packages
// (mrapps/internal/... for the apps here) only, and Go loads
// a plugin only into a binary built with the same toolchain and flags
// whose copies of every package the two share are the same. So apps
// built once keep loading into binaries rebuilt after any change to the
// engine's packages (coordinator, worker, scheduler, executor, internal/
// ...): they share none of them. A change to this package (its source,
// not just its API) is the one that requires rebuilding every app; so is
// a new Go toolchain or other build flags (-race on one side only).
// This package imports no fmt and no os either, so that an app that does
// without them stays small.
//
// # The engine's packages
//
// Leaves first; each imports only those above it:
//
//	internal/atomicfile   files that appear only complete (temp + rename)
//	internal/runfile      the run-file format, its verifying reader, the
//	                      stable k-way merge, multi-pass merges, text output
//	internal/auth         keys from the job secret, signed requests with
//	                      freshness, X25519 session keys, replay caches,
//	                      log rate limits
//	internal/netx         a listener bounding connections, per host and in
//	                      all, that drops unauthenticated ones first
//	internal/manifest     inputs by content: a CRC-32C and a line start per
//	                      block, the manifest file, block-checked copies,
//	                      splits cut from a manifest alone
//	internal/journal      an append-only file of checksummed records with
//	                      grouped syncs; a torn tail is ignored
//	internal/protocol     what crosses the wire: RPC types, HTTP paths and
//	                      headers, names of attempts, counters, /status
//	                      JSON, the job summary; no network code, so the
//	                      scheduler links none
//	internal/wire         how it crosses: the RPC handshake and the MACed
//	                      RPC frames, attempt URLs, signed HTTP bodies
//	internal/statuspage   the status page (html/template + embed)
//	internal/mapside      a map attempt's output: grouping, combining,
//	                      spilling, one sorted run per reduce task
//	internal/prefault     large fresh allocations faulted in at once
//	internal/readahead    inputs asked of the device ahead of their use
//	internal/input        the job's inputs: files and folders by one
//	                      rule, text or not, cut into map tasks for the
//	                      coordinator and mrsequential alike; a plugin's
//	                      WholeFiles, read from its file
//	internal/quietlog     the commands' log handler on a terminal
//	internal/lan          LANs of Linux network namespaces with a private
//	                      tmpfs per process, for mrcluster and e2e.TestLAN
//	mr (this package)     the app contract
//	mr/scheduler          the coordinator's pure state machine: tasks,
//	                      attempts, workers, evidence, backups; its Status
//	                      and Summary views. No sockets, processes, files
//	                      or wall clock: now is an argument
//	mr/executor           the app's code run for an attempt (a plugin's
//	                      functions, or a streaming job's commands), in the
//	                      caller's process or a supervised child process;
//	                      Sequential, the reference
//	mr/coordinator        the coordinator process: listener, RPC and HTTP
//	                      handlers, sessions, splits, where the inputs live,
//	                      commits, final merge, status page, the job's
//	                      journal, shipping the app; its tests run whole
//	                      clusters in process
//	mr/worker             the worker process: one typed client to the
//	                      coordinator, map and reduce attempts, inputs read
//	                      where they live (its -data copies, peers, the
//	                      coordinator) and served to peers, the run-file
//	                      server and the verified fetch, the pool
//
// The commands in main/ (mrcoordinator, mrworker, mrsequential, ...) are
// thin: flags, then one of these packages.
package mr
