package mr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"sync"
	"time"
)

// rpcPath is where the coordinator's HTTP server upgrades a CONNECT
// request to a net/rpc connection: RPC and HTTP share one port.
const rpcPath = "/_mr_rpc_"

const rpcConnected = "200 Connected to mapreduce RPC"

// coordClient is a worker's connection to the coordinator: one net/rpc
// client, redialled after any transport error, with a deadline on every
// call. It is safe for concurrent use.
type coordClient struct {
	addr    string
	timeout time.Duration // dial and handshake deadline

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
	conn, err := dialRPC(c.addr, c.timeout)
	if err != nil {
		return nil, err
	}
	c.client = rpc.NewClient(conn)
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

// dialRPC connects and performs the CONNECT handshake within timeout.
func dialRPC(addr string, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	io.WriteString(conn, "CONNECT "+rpcPath+" HTTP/1.0\n\n")
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(conn, 4096)), &http.Request{Method: "CONNECT"})
	if err == nil && resp.Status != rpcConnected {
		err = fmt.Errorf("unexpected answer %q", resp.Status)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("mr: %s is not a mapreduce coordinator: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
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
