// rpcconn.go: a worker's RPC connection: the CONNECT, the handshake and
// its first frame, then one rpc.Server per connection over the MACed
// frames.

package coordinator

import (
	"errors"
	"io"
	"net/http"
	"net/rpc"
	"time"

	"mapreduce/internal/netx"
	"mapreduce/internal/wire"
)

// handleRPC upgrades a CONNECT request to a net/rpc connection whose
// reads time out when the worker goes quiet. Each connection has its own
// rpc.Server, so that its handlers know whom the connection acts for.
func (c *Coordinator) handleRPC(w http.ResponseWriter, r *http.Request) {
	conn, err := wire.AcceptRPC(w, r, c.front.keys.RPCKey())
	if err != nil {
		c.front.refused(r.RemoteAddr, "rpc handshake", err)
		return
	}
	if err := conn.Authenticate(wire.FirstFrameTimeout); err != nil {
		c.front.refused(r.RemoteAddr, "rpc first frame", c.front.firstFrameError(err))
		conn.Close()
		return
	}
	netx.MarkAuthenticated(conn.Conn)
	srv := rpc.NewServer()
	if err := srv.RegisterName("Coordinator", &coordRPC{c: c, peer: r.RemoteAddr, nonce: conn.ServerNonce}); err != nil {
		conn.Close()
		return
	}
	c.front.track(conn.Conn)
	codec := wire.NewServerCodecWith(conn, wire.ServerOptions{MaxInFlight: 16, WriteTimeout: 10 * time.Second,
		Idle: c.cfg.HeartbeatTimeout + c.cfg.longPoll + 10*time.Second})
	srv.ServeCodec(&loggedCodec{ServerCodec: codec, c: c, peer: r.RemoteAddr})
	c.front.untrack(conn.Conn)
	c.mu.Lock()
	c.broadcastLocked() // waitForExits counts the connections
	c.mu.Unlock()
}

// loggedCodec reports a connection whose frames are refused (bad MAC, too
// large): the peer lacks the secret or throws garbage.
type loggedCodec struct {
	rpc.ServerCodec
	c    *Coordinator
	peer string
}

func (l *loggedCodec) ReadRequestHeader(r *rpc.Request) error {
	err := l.ServerCodec.ReadRequestHeader(r)
	if err != nil && errors.Is(err, wire.ErrFrame) {
		l.c.front.refused(l.peer, "rpc frame", err)
	}
	return err
}

// firstFrameError says what a connection that never authenticated most
// likely was: a peer that hangs up right after the handshake is a worker
// whose job secret is not this coordinator's.
func (f *front) firstFrameError(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if f.keys == nil {
		return errors.New("hung up after the handshake: a worker with a job secret? this coordinator has none " +
			"(set the same MR_SECRET or -secret-file on both, or none on either)")
	}
	return errors.New("hung up after the handshake: a worker without this job's secret, or with another " +
		"(set the same MR_SECRET or -secret-file on both)")
}
