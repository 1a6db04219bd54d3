package mr

import (
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"time"

	"mapreduce/internal/protocol"
)

// coordClient is a worker's connection to the coordinator: one net/rpc
// client, redialled after any transport error, with a deadline on every
// call. It is safe for concurrent use.
type coordClient struct {
	addr        string
	dialTimeout time.Duration // dial and handshake deadline
	rpcKey      []byte        // the job's RPC key, nil without a secret
	// onConnect, if set, runs on every new connection before any call: the
	// worker binds the connection to its session there.
	onConnect func(cl *rpc.Client, serverNonce []byte) error

	// mu guards client and local.
	mu     sync.Mutex
	client *rpc.Client
	local  string // the local IP of the last connection: how the coordinator sees us
}

// call invokes method with a deadline. A ServerError is the coordinator's
// answer; any other error drops the connection so the next call redials.
func (c *coordClient) call(method string, args, reply any, timeout time.Duration) error {
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

func (c *coordClient) get() (*rpc.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, nil
	}
	conn, err := protocol.DialRPC(c.addr, c.dialTimeout, c.rpcKey)
	if err != nil {
		return nil, fmt.Errorf("mr: %w", err)
	}
	cl := rpc.NewClientWithCodec(protocol.NewClientCodec(conn))
	if c.onConnect != nil {
		if err := c.onConnect(cl, conn.ServerNonce); err != nil {
			cl.Close()
			return nil, err
		}
	}
	c.client = cl
	c.local, _, _ = net.SplitHostPort(conn.LocalAddr().String())
	return c.client, nil
}

func (c *coordClient) drop(cl *rpc.Client) {
	c.mu.Lock()
	if c.client == cl {
		c.client = nil
	}
	c.mu.Unlock()
	cl.Close()
}

// localIP is the address this host used to reach the coordinator.
func (c *coordClient) localIP() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local
}

func (c *coordClient) close() {
	c.mu.Lock()
	cl := c.client
	c.client = nil
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

// listen opens a TCP listener, with an error that names the address once.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		return nil, fmt.Errorf("mr: listening on %s: %w", addr, err)
	}
	return ln, nil
}
