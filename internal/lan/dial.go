// dial.go: connections from this process into a host's network namespace.

package lan

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"syscall"
	"time"
)

// Dial connects to addr from host h's network namespace, as a process
// there would, without cabling this machine to the LAN: the socket is
// made by a thread that enters the namespace for that call only.
func (l *LAN) Dial(ctx context.Context, h int, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := dialIn(ctx, "/run/netns/"+l.NS(h), network, addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// dialIn dials from the network namespace at nsPath. It locks its thread;
// if it cannot enter our namespace again, it leaves the thread locked, so
// that the runtime ends that thread with the goroutine.
func dialIn(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("lan: %w", err)
	}
	defer home.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("lan: %w", err)
	}
	defer target.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("lan: entering %s: %w", nsPath, err)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if setns(home) == nil {
		runtime.UnlockOSThread()
	}
	return c, err
}

// sysSetns is setns(2)'s number on this architecture (package syscall
// has none); 0 where unknown.
var sysSetns = map[string]uintptr{"amd64": 308, "386": 346, "arm64": 268, "riscv64": 268, "loong64": 268,
	"ppc64le": 350, "s390x": 339}[runtime.GOARCH]

func setns(f *os.File) error {
	if sysSetns == 0 {
		return fmt.Errorf("setns: unknown on %s", runtime.GOARCH)
	}
	_, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	if e != 0 {
		return e
	}
	return nil
}

// HTTPClient is a client whose connections start in host h's network
// namespace, each request bounded by timeout.
func (l *LAN) HTTPClient(h int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return l.Dial(ctx, h, network, addr)
		},
		DisableKeepAlives: true,
	}}
}
