// Command mrhostile is a hostile peer on the LAN, for the test suite. It
// knows nothing but the addresses of a job's coordinator and workers, and
// not the job's secret. It tries what such a peer would: to register
// under path-like names, to act for workers by guessing their ids, to
// report fake results, to read inputs and upload outputs of its choosing,
// to send junk, oversized messages and huge headers, and to hold
// connections half open.
//
//	mrhostile -coordinator host:port [-worker host:port]... [-hold 3s]
//	mrhostile -serve-garbage host:port
//
// It prints one line per attack, "attack NAME: refused: HOW", "attack
// NAME: ACCEPTED: WHAT" or "attack NAME: unreached: WHY", and exits 1 if
// any attack was accepted, 3 if some could not reach their server (the
// job ended too soon to prove anything), 0 if all were refused.
//
// With -serve-garbage it is instead a broken worker's file server: it
// answers every request 200 with random bytes, until killed. A worker
// advertising that address (mrworker -advertise) looks healthy to the
// coordinator while every copy of its outputs is corrupt.
//
// It builds its messages from the engine's wire types and names
// (internal/protocol, internal/auth), so that a field renamed there cannot
// leave an attack silently sending what the engine no longer reads; it
// uses none of the engine's clients or servers, and never the secret.
package main

import (
	"flag"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// result is how one attack went. An attack that could not reach its
// server (the job was over) proves nothing, and is counted apart.
type result struct {
	accepted  bool
	unreached bool
	detail    string
}

func unreached(err error) result { return result{unreached: true, detail: err.Error()} }

func refused(format string, args ...any) result { return result{detail: fmt.Sprintf(format, args...)} }

func accepted(format string, args ...any) result {
	return result{accepted: true, detail: fmt.Sprintf(format, args...)}
}

type attack struct {
	name string
	run  func() result
}

// serveGarbage answers every HTTP request with 200 and random bytes.
// It prints "listening ADDR" once it listens (port 0 picks one).
func serveGarbage(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrhostile:", err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr())
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.Write(junk(4096 + mathrand.IntN(4096))) })}
	srv.Serve(ln)
}

type addrs []string

func (a *addrs) String() string     { return strings.Join(*a, ",") }
func (a *addrs) Set(s string) error { *a = append(*a, s); return nil }

func main() {
	coord := flag.String("coordinator", "", "the coordinator's `host:port`")
	var workers addrs
	flag.Var(&workers, "worker", "a worker's run-file server, `host:port` (repeatable)")
	hold := flag.Duration("hold", 3*time.Second, "how long to hold half-open connections")
	garbage := flag.String("serve-garbage", "", "serve random bytes on this `host:port` instead of attacking")
	flag.Parse()
	if *garbage != "" {
		serveGarbage(*garbage)
		return
	}
	if *coord == "" {
		fmt.Fprintln(os.Stderr, "usage: mrhostile -coordinator host:port [-worker host:port]... [-hold 3s]")
		os.Exit(2)
	}
	all := append([]string{*coord}, workers...)
	attacks := []attack{{"half-open connections", func() result { return halfOpen(all, *hold) }}}
	for _, w := range workers {
		attacks = append(attacks, workerAttacks(w)...)
	}
	attacks = append(attacks, coordinatorAttacks(*coord)...)
	failed, missed := 0, 0
	for _, a := range attacks {
		r := a.run()
		verdict := "refused"
		switch {
		case r.accepted:
			verdict = "ACCEPTED"
			failed++
		case r.unreached:
			verdict = "unreached"
			missed++
		}
		fmt.Printf("attack %s: %s: %s\n", a.name, verdict, r.detail)
	}
	switch {
	case failed > 0:
		fmt.Printf("mrhostile: %d of %d attacks accepted\n", failed, len(attacks))
		os.Exit(1)
	case missed > 0:
		fmt.Printf("mrhostile: %d of %d attacks could not reach their server\n", missed, len(attacks))
		os.Exit(3)
	}
	fmt.Printf("mrhostile: all %d attacks refused\n", len(attacks))
}
