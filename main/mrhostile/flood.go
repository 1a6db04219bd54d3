// The flood: many connections held open against the coordinator and the
// workers, none of them ever completing a request, re-opened when the
// server closes them. Each connection is one goroutine that mostly sleeps
// in a read; the only work is a byte written now and then, and dials at
// no more than the rate given, so the flood cannot take the machine's CPU
// from the job it attacks.

package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// floodConfig is the flood's command line.
type floodConfig struct {
	kinds     []kind
	targets   []target
	conns     int           // connections to hold in all
	duration  time.Duration // how long
	rate      float64       // new connections a second, at most, in all
	trickle   time.Duration // between two bytes of a trickling connection
	bodyBytes int           // bytes of body or frame sent at once (partial-body, trickle-frames)
	every     time.Duration // between two progress lines
	sources   []net.IP      // local addresses to dial from; none: the kernel's choice
}

// target is one server: the coordinator, or a worker's run-file server.
type target struct {
	addr        string
	coordinator bool
}

func (t target) String() string {
	if t.coordinator {
		return t.addr + " coordinator"
	}
	return t.addr + " worker"
}

// stream is the connections of one kind against one target.
type stream struct {
	target target
	kind   kind
	slots  int
	counts
	up []*counts // the tallies it counts in too: its target's, and all
}

// opened and closed count a connection in the stream and its tallies.
func (s *stream) opened() {
	s.counts.opened()
	for _, c := range s.up {
		c.opened()
	}
}

func (s *stream) closed(life time.Duration, byServer bool) {
	s.counts.closed(life, byServer)
	for _, c := range s.up {
		c.closed(life, false)
	}
}

// streams spreads the connections evenly over the targets, and each
// target's share evenly over the kinds that apply to it.
func streams(cfg floodConfig) ([]*stream, error) {
	var ss []*stream
	for i, t := range cfg.targets {
		share := cfg.conns / len(cfg.targets)
		if i < cfg.conns%len(cfg.targets) {
			share++
		}
		var ks []kind
		for _, k := range cfg.kinds {
			if t.coordinator || !k.coordinatorOnly() {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("no flood kind given applies to the worker at %s (trickle-frames and handshakes attack only the coordinator)", t.addr)
		}
		for j, k := range ks {
			n := share / len(ks)
			if j < share%len(ks) {
				n++
			}
			ss = append(ss, &stream{target: t, kind: k, slots: n})
		}
	}
	return ss, nil
}

// flood runs the streams until the duration has passed or ctx is done,
// and reports how it went. It returns false if some target was never
// reached.
func flood(ctx context.Context, cfg floodConfig, ss []*stream) bool {
	ctx, stop := context.WithTimeout(ctx, cfg.duration)
	defer stop()
	conns, closeConns := context.WithCancel(context.Background())
	body := make([]byte, cfg.bodyBytes)
	lim := &limiter{every: time.Duration(float64(time.Second) / cfg.rate)}
	r := newReporter(ss, cfg)
	r.start()
	var wg sync.WaitGroup
	for i := 0; i < cfg.conns; i++ { // the streams' slots interleaved, so that each ramps as fast
		for _, s := range ss {
			if i < s.slots {
				d := dialer(cfg.sources, i)
				wg.Go(func() { s.slot(ctx, conns, lim, d, newScript(s.kind, s.target, body), cfg.trickle, r) })
			}
		}
	}
	<-ctx.Done()
	r.final() // while the connections are still held
	closeConns()
	wg.Wait()
	return r.allReached()
}

// slot keeps one connection open until ctx is done: it dials (at the
// limiter's pace), plays the script until the connection fails, and
// dials again. A dial that fails, or a connection the server closes
// within a second (it is full), backs off before the next dial, so that
// connections beyond a server's cap, or a target gone, do not spend the
// rate (and the machine's CPU) on dials bound to fail; a connection that
// lived longer is dialled again at once.
func (s *stream) slot(ctx, conns context.Context, lim *limiter, d *net.Dialer, sc script, every time.Duration, r *reporter) {
	const first, most = time.Second, 8 * time.Second
	backoff := first
	dialed := r.tried
	for lim.wait(ctx) {
		lived, err := s.hold(ctx, conns, d, sc, every, dialed)
		dialed = func() {}
		if err == nil && lived >= time.Second {
			backoff = first
			continue
		}
		if !sleep(ctx, backoff/2+jitter(backoff)) {
			return
		}
		backoff = min(2*backoff, most)
	}
}

// hold dials once, calls dialed, and plays the script until the
// connection fails; it returns how long the connection lived, or the
// dial's error.
func (s *stream) hold(ctx, conns context.Context, d *net.Dialer, sc script, every time.Duration, dialed func()) (time.Duration, error) {
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	conn, err := d.DialContext(dctx, "tcp", s.target.addr)
	cancel()
	dialed()
	if err != nil {
		if ctx.Err() == nil {
			s.dialFailed(err)
		}
		return 0, err
	}
	start := time.Now()
	s.opened()
	stop := context.AfterFunc(conns, func() { conn.Close() })
	sc.play(conn, every, &s.counts)
	stop()
	conn.Close()
	lived := time.Since(start)
	s.closed(lived, conns.Err() == nil)
	return lived, nil
}

// limiter spaces events every interval, across all its callers.
type limiter struct {
	every time.Duration

	// mu guards next.
	mu   sync.Mutex
	next time.Time
}

// wait waits for the caller's turn; false if ctx ended first.
func (l *limiter) wait(ctx context.Context) bool {
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.every)
	l.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter is a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(mathrand.Int64N(int64(d)))
}

// counts are one stream's counters.
type counts struct {
	open, peak       atomic.Int64 // connections open now, and at most
	opens            atomic.Int64 // dials that connected
	dialErrs         atomic.Int64
	byServer         atomic.Int64 // connections the server closed
	fast, mid, late  atomic.Int64 // of those: within 1 s, 1 to 10 s, after 10 s
	lifeMs           atomic.Int64 // their lives, summed
	answers          atomic.Int64 // connections the server sent something on
	sampleMu         sync.Mutex
	answer1, dialErr string // the first answer's first line, the first dial error
}

func (c *counts) opened() {
	c.opens.Add(1)
	n := c.open.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
}

func (c *counts) closed(life time.Duration, byServer bool) {
	c.open.Add(-1)
	if !byServer {
		return
	}
	c.byServer.Add(1)
	c.lifeMs.Add(life.Milliseconds())
	switch {
	case life < time.Second:
		c.fast.Add(1)
	case life < 10*time.Second:
		c.mid.Add(1)
	default:
		c.late.Add(1)
	}
}

func (c *counts) dialFailed(err error) {
	c.dialErrs.Add(1)
	c.sampleMu.Lock()
	if c.dialErr == "" {
		c.dialErr = err.Error()
	}
	c.sampleMu.Unlock()
}

// answer counts a connection the server answered on, and keeps the
// first answer's first line.
func (c *counts) answer(b []byte) {
	c.answers.Add(1)
	c.sampleMu.Lock()
	if c.answer1 == "" {
		c.answer1 = fmt.Sprintf("%.60q", firstLine(b))
	}
	c.sampleMu.Unlock()
}
