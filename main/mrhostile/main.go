// Command mrhostile is a hostile peer on the LAN, for the test suite. It
// knows nothing but the addresses of a job's coordinator and workers, and
// not the job's secret. It has three modes.
//
//	mrhostile -coordinator host:port [-worker host:port]... [-hold 3s]
//	mrhostile -flood KINDS -conns N -duration D [-coordinator host:port] [-worker host:port]...
//	mrhostile -serve-garbage host:port
//
// Attacks (the default) tries what such a peer would: to register under
// path-like names, to act for workers by guessing their ids, to report
// fake results, to read inputs and upload outputs of its choosing, to
// send junk, oversized messages and huge headers, and to hold connections
// half open. It prints one line per attack, "attack NAME: refused: HOW",
// "attack NAME: ACCEPTED: WHAT" or "attack NAME: unreached: WHY", and
// exits 1 if any attack was accepted, 3 if some could not reach their
// server (the job ended too soon to prove anything), 0 if all were
// refused.
//
// The flood tries to stall, starve or bloat the servers: it holds N
// connections open for the duration D, spread evenly over the targets
// (the coordinator and the workers' run-file servers) and each target's
// share evenly over the kinds given that apply to it:
//
//	idle            connect, send nothing
//	slow-headers    a request's line and headers (a split read; a runs
//	                fetch), one byte every -trickle, never ended
//	partial-body    a POST's whole head with made-up signature headers,
//	                announcing a body (a 192 KiB reduce upload; a 16 MiB
//	                runs fetch), -body-bytes of it, then nothing
//	trickle-frames  the RPC handshake, then a frame header announcing
//	                1 MiB, -body-bytes of the frame, then its next bytes
//	                one every -trickle (coordinator)
//	handshakes      an RPC handshake (CONNECT) one byte every -trickle,
//	                never ended (coordinator)
//	all             all of the above
//
// KINDS is "all" or kinds separated by commas. A connection the server
// closes is dialled again, and no more than -rate connections are
// dialled a second in all (the ramp too); dials that fail back off. It
// raises its own limit of open files as it needs. Every -report it
// prints how many connections are open per target; once every connection
// has been dialled, "flood ramped in ..."; at the end, per kind and
// target, per target and in all, how many were open at the end and at
// most, how many the server closed and how soon, answered, or refused,
// the last line starting "mrhostile: flood over:". It exits 0, or 3 if
// some target never accepted a connection. SIGINT and SIGTERM end the
// flood early, with the same report. Each connection is a goroutine that
// mostly sleeps in a read, so the flood's own CPU use is small and
// bounded by -rate and -trickle.
//
// With -serve-garbage it is instead a broken worker's file server: it
// answers every request 200 with random bytes, until killed. A worker
// advertising that address (mrworker -advertise) looks healthy to the
// coordinator while every copy of its outputs is corrupt.
//
// It builds its messages from the engine's wire types and names
// (internal/protocol, internal/auth), so that a field renamed there cannot
// leave an attack silently sending what the engine no longer reads; it
// uses none of the engine's clients or servers, and never the secret. It
// talks only to the addresses given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
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

const usage = `usage: mrhostile -coordinator host:port [-worker host:port]... [-hold 3s]
       mrhostile -flood KINDS [-conns N] [-duration D] [-coordinator host:port] [-worker host:port]...
       mrhostile -serve-garbage host:port
flood KINDS: all, or some of idle,slow-headers,partial-body,trickle-frames,handshakes
`

func main() {
	coord := flag.String("coordinator", "", "the coordinator's `host:port`")
	var workers addrs
	flag.Var(&workers, "worker", "a worker's run-file server, `host:port` (repeatable)")
	hold := flag.Duration("hold", 3*time.Second, "attacks: how long to hold half-open connections")
	garbage := flag.String("serve-garbage", "", "serve random bytes on this `host:port` instead of attacking")
	kinds := flag.String("flood", "", "flood the targets with connections of these `KINDS` instead of attacking")
	var fc floodConfig
	flag.IntVar(&fc.conns, "conns", 1000, "flood: connections to hold open, in all")
	flag.DurationVar(&fc.duration, "duration", time.Minute, "flood: how long to flood")
	flag.Float64Var(&fc.rate, "rate", 1000, "flood: connections dialled a second at most, in all")
	flag.DurationVar(&fc.trickle, "trickle", 3*time.Second, "flood: time between two bytes of a trickling connection")
	flag.IntVar(&fc.bodyBytes, "body-bytes", 64<<10, "flood: `bytes` of the body (partial-body) or frame (trickle-frames) sent at once")
	flag.DurationVar(&fc.every, "report", 5*time.Second, "flood: time between two progress lines")
	sources := flag.String("source", "", "flood: dial from these local `addresses` (comma-separated, round robin; default: the kernel's choice)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	switch {
	case *garbage != "":
		serveGarbage(*garbage)
	case *kinds != "":
		os.Exit(runFlood(fc, *kinds, *sources, *coord, workers))
	case *coord == "":
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	default:
		os.Exit(runAttacks(*coord, workers, *hold))
	}
}

// runFlood checks the flood's flags and floods; it returns the exit
// status.
func runFlood(fc floodConfig, kinds, sources, coord string, workers []string) int {
	var err error
	if fc.kinds, err = parseKinds(kinds); err == nil {
		fc.sources, err = parseSources(sources)
	}
	switch {
	case err != nil:
	case fc.conns < 1 || fc.duration <= 0 || fc.rate <= 0 || fc.trickle <= 0 || fc.every <= 0 || fc.bodyBytes < 0:
		err = errors.New("-conns, -duration, -rate, -trickle and -report must be positive, -body-bytes not negative")
	case coord == "" && len(workers) == 0:
		err = errors.New("-flood needs a -coordinator or a -worker to flood")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrhostile:", err)
		return 2
	}
	if coord != "" {
		fc.targets = append(fc.targets, target{addr: coord, coordinator: true})
	}
	for _, w := range workers {
		fc.targets = append(fc.targets, target{addr: w})
	}
	if fc.conns = raiseFileLimit(fc.conns); fc.conns == 0 {
		return 2
	}
	ss, err := streams(fc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrhostile:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !flood(ctx, fc, ss) {
		return 3
	}
	return 0
}

// parseSources reads -source: IP addresses separated by commas.
func parseSources(s string) ([]net.IP, error) {
	if s == "" {
		return nil, nil
	}
	var ips []net.IP
	for a := range strings.SplitSeq(s, ",") {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, fmt.Errorf("-source: %q is not an IP address", a)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// runAttacks runs every attack once and returns the exit status.
func runAttacks(coord string, workers []string, hold time.Duration) int {
	all := append([]string{coord}, workers...)
	attacks := []attack{{"half-open connections", func() result { return halfOpen(all, hold) }}}
	for _, w := range workers {
		attacks = append(attacks, workerAttacks(w)...)
	}
	attacks = append(attacks, coordinatorAttacks(coord)...)
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
		return 1
	case missed > 0:
		fmt.Printf("mrhostile: %d of %d attacks could not reach their server\n", missed, len(attacks))
		return 3
	}
	fmt.Printf("mrhostile: all %d attacks refused\n", len(attacks))
	return 0
}
