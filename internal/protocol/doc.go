// Package protocol is everything that crosses the wire between the
// coordinator and the workers, and between workers, in one place: the
// messages, their names and their limits. It imports nothing of the
// engine and nothing of the network: package wire (internal/wire) carries
// these messages (the RPC handshake and frames, signed HTTP bodies), so
// that the scheduler, which speaks protocol's types, links no network
// code.
//
// # One port, two protocols
//
// The coordinator listens on one TCP port. A worker that sends
// "CONNECT /_mr_rpc_ HTTP/1.0" there and reads "200 Connected to mapreduce
// RPC" holds a net/rpc connection (wire.DialRPC, wire.AcceptRPC); everything else on
// that port is plain HTTP.
//
// RPC methods of "Coordinator" (gob; the types below, one fresh reply per
// call; an error return is a real failure, a "no" is a field of the reply):
//
//	Register(RegisterArgs) RegisterReply       join the job: app name, the run-file server's address,
//	                                           a key agreement for the session
//	Resume(ResumeArgs) ResumeReply             bind a new connection to the session
//	Heartbeat(HeartbeatArgs) HeartbeatReply    every 500 ms; says go on, re-register or exit
//	GetTask(GetTaskArgs) GetTaskReply          long poll for the next attempt
//	ExtendMap(ExtendMapArgs) ExtendMapReply    a map attempt told Extend has mapped its input, its
//	                                           output open: the next part to map into it (a task
//	                                           its task absorbed), or none, and it finishes
//	ReportMap(ReportMapArgs) ReportReply       a map attempt's run files are written
//	ReportReduce(ReportReduceArgs) ReportReply a small reduce output (at most MaxInlineReduce), in
//	                                           the report: committed as POST /reduce commits it
//	ReportReduces(ReportReducesArgs) ReportReducesReply a batch's small reduce outputs (GetTaskReply.Batch,
//	                                           at most MaxReduceBatch, MaxInlineReduce bytes in all)
//	ReportFailure(ReportFailureArgs) ReportReply an attempt could not complete
//	Sources(SourcesArgs) SourcesReply          where every map task's output is (once per version)
//	Locate(LocateArgs) LocateReply             long poll: where one map's output lives now
//	Job(JobArgs) JobInfo                       what job runs, and its app: for pool workers
//	App(AppArgs) AppReply                      a chunk of the job's plugin, for pool workers
//	Decline(DeclineArgs) DeclineReply          a pool worker cannot run the job's app, and says why
//	Leave(LeaveArgs) LeaveReply                a worker stops: redo its work now
//	Hold(HoldArgs) HoldReply                   which files of a worker's -data directory are inputs
//	                                           of the job; with Commit, the worker holds them
//
// HTTP on the coordinator's port (an Attempt in the query, see Query):
//
//	GET  /split?worker&task&attempt    the bytes of a running map attempt's split (or,
//	                                   with SplitPieceQuery, of some of its pieces); task
//	                                   may be a part handed to the attempt by ExtendMap
//	POST /reduce?worker&task&attempt   a reduce attempt's output, a run file; header
//	                                   X-Mr-Crc32c: its CRC-32C, X-Mr-Read: bytes it fetched,
//	                                   X-Mr-Counters: its Counters (optional).
//	                                   200 commits it as mr-out-Y; 409 means stale
//	GET  /                             the status page, HTML that polls /status
//	GET  /status                       the job as JSON: Status (its first seven fields
//	                                   are the first version's, unchanged)
//
// With a job secret, GET / and GET /status also accept the job's
// read-only token StatusToken(secret, job), as ?token= or as the cookie
// the page sets; it authenticates no connection.
//
// HTTP on every worker's run-file server:
//
//	POST /runs?reduce=Y[,Y2...]        the body lists map attempts (RunsRequest; with a
//	                                   secret, its SHA-256 in X-Mr-Sha256, signed); the
//	                                   answer streams, for each reduce task Y named (a
//	                                   batch: at most MaxReduceBatch) and each attempt, its
//	                                   run (RunsFrame), served once that attempt's report
//	                                   was accepted; each run verifies itself by the
//	                                   CRC-32C of its own trailer. One request per owner
//	                                   and batch of reduce tasks, whatever M is.
//	GET  /input?name&off&len           bytes of an input this worker holds (PathInput),
//	                                   signed as /runs is; the reader checks them block
//	                                   by block against its assignment's InputSource
//
// Every assignment is an attempt, named "map-3.a2" (AttemptName) in every
// log line of every process; reports and requests name their attempt, and
// the coordinator applies them only while that attempt is running.
//
// # Trust
//
// Every RPC connection starts with a handshake (wire.DialRPC,
// wire.AcceptRPC) and then carries length-prefixed frames (wire.RPCConn,
// wire.NewServerCodec, wire.NewClientCodec). With a job secret, the
// coordinator proves it holds the secret in the handshake, and every
// frame carries an HMAC under a key of that connection alone, checked
// before gob decodes a byte.
//
// Nothing sizeable is spent on a connection before it authenticated. The
// worker's first frame is its proof: at most wire.MaxFirstFrame bytes
// (enough for Register or Resume), whole within wire.FirstFrameTimeout of
// the handshake, read unbuffered, its MAC checked before the coordinator
// builds anything for the connection (wire.RPCConn.Authenticate). Only
// then may frames grow to wire.MaxRequest; each must arrive whole within
// wire.FrameTimeout (plus 1 s per 128 KiB) of its length, so a trickled
// frame is dropped.
//
// A session is agreed at registration (X25519; the key never crosses the
// wire) and binds the connection to the new worker; a later connection of
// the same worker binds itself with Resume, proving the session key over
// the connection's server nonce. Every call acts for the worker its
// connection is bound to; a call naming another worker is refused.
//
// Every HTTP request to the coordinator's /split and /reduce names its
// worker in the query and is signed with that worker's session key
// (headers X-Mr-Time, X-Mr-Nonce, X-Mr-Sig: HMAC-SHA256 over the method,
// the request URI, the time, the nonce and the values of wire.Covered: the
// body's length and CRC among them), and is fresh only within a window of
// the coordinator's clock, once. With a job secret, run-file requests
// between workers are signed with the job's fetch key over the body's
// length and SHA-256 (wire.SignBody, header X-Mr-Sha256), and /status needs the
// read-only token (?token=).
//
// Either way the signature covers what the body will be, so the receiver
// checks the signed headers before it reads a byte of the body, then
// reads at most the length announced, bounded (MaxRunsBody, the upload
// limit) and under a deadline, and checks the body against its digest.
// Replay caches count each source apart (a worker's session, or a host
// for run-file requests), so that no holder of a key can fill them to
// lock the others out (auth.Replay).
package protocol
