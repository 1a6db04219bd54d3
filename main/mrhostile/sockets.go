// Sockets for the flood: dialers spread over source addresses, and a
// limit of open files raised to fit the connections.

package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT: a socket bound
// to a source address gets its port at connect, unique per destination,
// so that one source address can hold more than one range of ports.
const ipBindAddressNoPort = 24

// dialer is slot i's dialer: from the i-th source address (round robin),
// or the kernel's choice.
func dialer(sources []net.IP, i int) *net.Dialer {
	d := &net.Dialer{Timeout: 3 * time.Second, KeepAlive: -1}
	if len(sources) > 0 {
		d.LocalAddr = &net.TCPAddr{IP: sources[i%len(sources)]}
		d.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1) // best effort
			})
		}
	}
	return d
}

// raiseFileLimit makes room for n connections in this process's limit
// of open files, raising the hard limit too when allowed (root). It
// returns how many connections fit.
func raiseFileLimit(n int) int {
	const spare = 64 // stdio, the runtime's own
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return n
	}
	need := uint64(n + spare)
	if rl.Cur >= need {
		return n
	}
	want := syscall.Rlimit{Cur: need, Max: max(rl.Max, need)}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) == nil {
		return n
	}
	want = syscall.Rlimit{Cur: rl.Max, Max: rl.Max}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) != nil {
		want.Cur = rl.Cur
	}
	fits := max(int(want.Cur)-spare, 0)
	fmt.Fprintf(os.Stderr, "mrhostile: the limit of open files (%d, hard %d) holds only %d connections; holding %d\n",
		want.Cur, rl.Max, fits, fits)
	return fits
}
