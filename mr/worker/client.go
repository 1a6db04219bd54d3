// The worker's one seam to its coordinator: the coordinator interface, one
// method per call, and client, the real one. The worker holds no keys of
// the coordinator's: client agrees the session at registration, binds
// every new connection to it (Resume) and signs the HTTP requests with it.
// Tests hand the worker a fake coordinator instead.

package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"strconv"
	"sync"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/internal/wire"
	"mapreduce/mr/executor"
)

// coordinator is everything a worker asks of its coordinator. An error
// that is an rpc.ServerError is the coordinator's answer; any other is
// the transport's, worth a retry.
type coordinator interface {
	// Dial connects, if not connected, so that LocalIP knows the address
	// that reaches the coordinator.
	Dial() error
	LocalIP() string
	// Register joins the job as app, serving run files at addr and
	// offering back the outputs of offer (nil if none), and agrees the
	// session every later call and request runs under.
	Register(app, addr string, offer *protocol.Offer) (*protocol.RegisterReply, error)
	Heartbeat(args *protocol.HeartbeatArgs) (*protocol.HeartbeatReply, error)
	GetTask(args *protocol.GetTaskArgs) (*protocol.GetTaskReply, error)
	ReportMap(args *protocol.ReportMapArgs) (*protocol.ReportReply, error)
	ExtendMap(args *protocol.ExtendMapArgs) (*protocol.ExtendMapReply, error)
	ReportReduce(args *protocol.ReportReduceArgs) (*protocol.ReportReply, error)
	ReportReduces(args *protocol.ReportReducesArgs) (*protocol.ReportReducesReply, error)
	ReportFailure(args *protocol.ReportFailureArgs) (*protocol.ReportReply, error)
	// Leave says the worker id stops: its work is to be redone now.
	Leave(id string) error
	// Job says what job the coordinator runs.
	Job() (*protocol.JobInfo, error)
	Sources(args *protocol.SourcesArgs, nMap int) (*protocol.SourcesReply, error)
	Locate(args *protocol.LocateArgs) (*protocol.LocateReply, error)
	// Split copies map attempt a's input, size bytes, into w: all of it,
	// or the pieces query (protocol.SplitPieceQuery) names.
	Split(ctx context.Context, a protocol.Attempt, query string, size int64, w io.Writer) error
	// SplitFetch is the request for all of map attempt a's input, size
	// bytes, for the executor to send itself (Split without the worker's
	// copy), bounded by timeout and stall; nil if the input is to come
	// through Split.
	SplitFetch(a protocol.Attempt, size int64, timeout, stall time.Duration) *executor.Fetch
	// Hold says which files of the data directory this worker holds.
	Hold(args *protocol.HoldArgs) (*protocol.HoldReply, error)
	// Upload sends reduce attempt a's output, a run in a file or in
	// memory, and answers the coordinator's HTTP status.
	Upload(ctx context.Context, a protocol.Attempt, out runfile.Segment, up upload) (int, error)
	// Now is the coordinator's clock as this worker reads it.
	Now() time.Time
	Close()
}

// upload describes a reduce output: its size and CRC-32C, the bytes its
// attempt fetched, its counters as a header.
type upload struct {
	size     int64
	crc      uint32
	read     int64
	counters string
}

// client is the coordinator over net/rpc (one connection, redialled after
// any transport error, with a deadline on every call) and signed HTTP. It
// is safe for concurrent use.
type client struct {
	addr        string
	dialTimeout time.Duration // dial and handshake deadline
	rpcTimeout  time.Duration // one call; long polls get the long-poll interval on top
	keys        *auth.Keys    // nil without a secret
	build       string        // the app's build, as registrations say it
	whole       bool          // the app needs whole files, as registrations say it
	pool        bool          // a pool member, which served jobs jobs before
	jobs        int
	httpc       *http.Client
	// forgotten is called when the coordinator no longer knows the
	// session of the worker id.
	forgotten func(id string)

	// mu guards conn, local and the session: id, key, skew, longPoll.
	mu       sync.Mutex
	conn     *rpc.Client
	local    string // the local IP of the last connection: how the coordinator sees us
	id       string
	key      []byte        // the session key agreed at registration
	skew     time.Duration // the coordinator's clock minus ours
	longPoll time.Duration // how long the coordinator may hold a long poll
}

func newClient(cfg Config, keys *auth.Keys, httpc *http.Client, forgotten func(id string)) *client {
	return &client{addr: cfg.Coordinator, dialTimeout: cfg.DialTimeout, rpcTimeout: cfg.RPCTimeout,
		keys: keys, build: cfg.Build, whole: cfg.WholeFiles, pool: cfg.pool, jobs: cfg.jobsBefore, httpc: httpc, forgotten: forgotten}
}

func (c *client) Register(app, addr string, offer *protocol.Offer) (*protocol.RegisterReply, error) {
	ex := auth.NewExchange()
	var reply protocol.RegisterReply
	args := &protocol.RegisterArgs{App: app, Addr: addr, Public: ex.Public(), Build: c.build, Offer: offer,
		Pool: c.pool, Jobs: c.jobs, WholeFiles: c.whole, Partitioning: protocol.Partitioning}
	if err := c.call("Register", args, &reply, c.rpcTimeout); err != nil {
		return nil, err
	}
	key, err := ex.SessionKey(c.keys, reply.Public, reply.WorkerID, ex.Public(), reply.Public)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.id, c.key, c.longPoll = reply.WorkerID, key, time.Duration(reply.LongPoll)
	c.skew = time.Until(time.Unix(0, reply.Now))
	c.mu.Unlock()
	return &reply, nil
}

func (c *client) Heartbeat(args *protocol.HeartbeatArgs) (*protocol.HeartbeatReply, error) {
	var reply protocol.HeartbeatReply
	return &reply, c.call("Heartbeat", args, &reply, c.rpcTimeout)
}

func (c *client) GetTask(args *protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	var reply protocol.GetTaskReply
	return &reply, c.call("GetTask", args, &reply, c.longPollTimeout())
}

func (c *client) ReportMap(args *protocol.ReportMapArgs) (*protocol.ReportReply, error) {
	var reply protocol.ReportReply
	return &reply, c.call("ReportMap", args, &reply, c.rpcTimeout)
}

func (c *client) ExtendMap(args *protocol.ExtendMapArgs) (*protocol.ExtendMapReply, error) {
	var reply protocol.ExtendMapReply
	return &reply, c.call("ExtendMap", args, &reply, c.rpcTimeout)
}

// ReportReduce allows the report's bytes a microsecond per KiB on top of
// the call's deadline.
func (c *client) ReportReduce(args *protocol.ReportReduceArgs) (*protocol.ReportReply, error) {
	var reply protocol.ReportReply
	return &reply, c.call("ReportReduce", args, &reply, c.rpcTimeout+time.Duration(len(args.Run)>>10)*time.Microsecond)
}

// ReportReduces allows the reports' bytes a microsecond per KiB on top of
// the call's deadline, as ReportReduce does.
func (c *client) ReportReduces(args *protocol.ReportReducesArgs) (*protocol.ReportReducesReply, error) {
	var reply protocol.ReportReducesReply
	var size int
	for _, r := range args.Reports {
		size += len(r.Run)
	}
	return &reply, c.call("ReportReduces", args, &reply, c.rpcTimeout+time.Duration(size>>10)*time.Microsecond)
}

// Hold allows a microsecond per file listed on top of the call's deadline.
func (c *client) Hold(args *protocol.HoldArgs) (*protocol.HoldReply, error) {
	var reply protocol.HoldReply
	return &reply, c.call("Hold", args, &reply, c.rpcTimeout+time.Duration(len(args.Files))*time.Microsecond)
}

func (c *client) ReportFailure(args *protocol.ReportFailureArgs) (*protocol.ReportReply, error) {
	var reply protocol.ReportReply
	return &reply, c.call("ReportFailure", args, &reply, c.rpcTimeout)
}

// Sources allows a microsecond per map on top of the call's deadline: the
// answer grows with M.
func (c *client) Sources(args *protocol.SourcesArgs, nMap int) (*protocol.SourcesReply, error) {
	var reply protocol.SourcesReply
	return &reply, c.call("Sources", args, &reply, c.rpcTimeout+time.Duration(nMap)*time.Microsecond)
}

func (c *client) Locate(args *protocol.LocateArgs) (*protocol.LocateReply, error) {
	var reply protocol.LocateReply
	return &reply, c.call("Locate", args, &reply, c.longPollTimeout())
}

// longPollTimeout is the deadline of a long-polling call: the
// coordinator may hold it for its long-poll interval, then answers.
func (c *client) longPollTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.longPoll + c.rpcTimeout
}

// call invokes method with a deadline. A ServerError is the coordinator's
// answer; any other error drops the connection so the next call redials.
func (c *client) call(method string, args, reply any, timeout time.Duration) error {
	cl, err := c.get()
	if err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case done := <-cl.Go("Coordinator."+method, args, reply, make(chan *rpc.Call, 1)).Done:
		var se rpc.ServerError
		if done.Error != nil && !errors.As(done.Error, &se) {
			c.drop(cl)
		}
		return done.Error
	case <-t.C:
		c.drop(cl)
		return fmt.Errorf("mr: %s to %s: no answer within %s", method, c.addr, timeout)
	}
}

func (c *client) Dial() error {
	_, err := c.get()
	return err
}

// get returns the connection, dialling one (and resuming the session on
// it) if there is none.
func (c *client) get() (*rpc.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return c.conn, nil
	}
	conn, err := wire.DialRPC(c.addr, c.dialTimeout, c.keys.RPCKey())
	if err != nil {
		return nil, fmt.Errorf("mr: %w", err)
	}
	cl := rpc.NewClientWithCodec(wire.NewClientCodec(conn))
	if err := c.resumeLocked(cl, conn.ServerNonce); err != nil {
		cl.Close()
		return nil, err
	}
	c.conn = cl
	c.local, _, _ = net.SplitHostPort(conn.LocalAddr().String())
	return c.conn, nil
}

// resumeLocked binds a new connection to the session, if there is one. If
// the coordinator no longer knows it, the worker is told to register
// again.
func (c *client) resumeLocked(cl *rpc.Client, nonce []byte) error {
	if c.key == nil {
		return nil
	}
	var reply protocol.ResumeReply
	args := &protocol.ResumeArgs{WorkerID: c.id, Proof: auth.Sum(c.key, []byte("resume"), nonce)}
	call := cl.Go("Coordinator.Resume", args, &reply, make(chan *rpc.Call, 1))
	t := time.NewTimer(c.rpcTimeout)
	defer t.Stop()
	select {
	case <-call.Done:
	case <-t.C:
		return fmt.Errorf("mr: resuming the session with %s: no answer within %s", c.addr, c.rpcTimeout)
	}
	if call.Error != nil {
		return call.Error
	}
	if !reply.OK && c.forgotten != nil {
		c.forgotten(c.id)
	}
	return nil
}

func (c *client) drop(cl *rpc.Client) {
	c.mu.Lock()
	if c.conn == cl {
		c.conn = nil
	}
	c.mu.Unlock()
	cl.Close()
}

// LocalIP is the address this host used to reach the coordinator.
func (c *client) LocalIP() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local
}

func (c *client) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// Close hangs up: the coordinator takes it as the worker having heard
// the end.
func (c *client) Close() {
	c.mu.Lock()
	cl := c.conn
	c.conn = nil
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

// sign signs a request to the coordinator with the session key.
func (c *client) sign(req *http.Request) {
	c.mu.Lock()
	key := c.key
	c.mu.Unlock()
	auth.SignRequest(req.Header, key, req.Method, req.URL.RequestURI(), c.Now(),
		wire.Covered(req.Header, req.ContentLength)...)
}

// SplitFetch signs a GET /split for the executor to send: the split then
// goes from the coordinator straight into the process that maps it.
func (c *client) SplitFetch(a protocol.Attempt, size int64, timeout, stall time.Duration) *executor.Fetch {
	req, err := http.NewRequest(http.MethodGet, wire.SplitURL(c.addr, a), nil)
	if err != nil {
		return nil // Split will say why
	}
	c.sign(req)
	return &executor.Fetch{URL: req.URL.String(), Header: req.Header, Size: size, Timeout: timeout, Stall: stall}
}

// Split copies the input of map attempt a, or the pieces query names,
// into w, exactly size bytes.
func (c *client) Split(ctx context.Context, a protocol.Attempt, query string, size int64, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wire.SplitURL(c.addr, a)+query, nil)
	if err != nil {
		return err
	}
	c.sign(req)
	resp, err := c.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("got %d bytes, want %d", n, size)
	}
	return err
}

func (c *client) Upload(ctx context.Context, a protocol.Attempt, out runfile.Segment, up upload) (int, error) {
	var body io.Reader = bytes.NewReader(out.Data)
	if out.Path != "" {
		f, err := os.Open(out.Path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		body = f
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wire.ReduceURL(c.addr, a), body)
	if err != nil {
		return 0, err
	}
	req.ContentLength = up.size
	req.Header.Set(protocol.HeaderCRC, strconv.FormatUint(uint64(up.crc), 10))
	req.Header.Set(protocol.HeaderRead, strconv.FormatInt(up.read, 10))
	req.Header.Set(protocol.HeaderCounters, up.counters)
	c.sign(req)
	resp, err := c.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Job asks what job the coordinator runs (a pool worker, before it
// registers).
func (c *client) Job() (*protocol.JobInfo, error) {
	var reply protocol.JobInfo
	return &reply, c.call("Job", &protocol.JobArgs{}, &reply, c.rpcTimeout)
}

// shipped writes the size bytes of the plugin the coordinator ships
// (sum ""), or of the streaming job's file of SHA-256 sum, to w.
func (c *client) shipped(sum string, size int64, w io.Writer) error {
	for off := int64(0); off < size; {
		var reply protocol.AppReply
		if err := c.call("App", &protocol.AppArgs{Offset: off, Sum: sum}, &reply, c.rpcTimeout+10*time.Second); err != nil {
			return err
		}
		if len(reply.Data) == 0 || off+int64(len(reply.Data)) > size {
			return fmt.Errorf("mr: the coordinator sent %d bytes of the plugin at %d of %d", len(reply.Data), off, size)
		}
		if _, err := w.Write(reply.Data); err != nil {
			return err
		}
		off += int64(len(reply.Data))
	}
	return nil
}

// Leave says this worker stops, waiting a second at most for the answer.
func (c *client) Leave(id string) error {
	return c.call("Leave", &protocol.LeaveArgs{WorkerID: id}, &protocol.LeaveReply{}, time.Second)
}

// Decline tells the coordinator this pool worker will not run its job.
func (c *client) Decline(addr, reason string) error {
	return c.call("Decline", &protocol.DeclineArgs{Addr: addr, Reason: reason}, &protocol.DeclineReply{}, c.rpcTimeout)
}
