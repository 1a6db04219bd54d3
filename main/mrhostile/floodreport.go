// The flood's report: progress lines while it runs and the summary at
// its end, per kind and target, per target and in all.

package main

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reporter prints the flood's progress: a line when it starts, one when
// every connection has been dialled once, one every period, and a
// summary at the end: per kind and target, per target, and in all.
type reporter struct {
	streams []*stream
	targets []*tally // one per target, in the order given
	all     tally
	cfg     floodConfig
	begun   time.Time
	dialled atomic.Int64 // connections dialled at least once
	done    chan struct{}
	wg      sync.WaitGroup

	// mu guards the output, so that lines never interleave.
	mu sync.Mutex
}

// tally is the counts of several streams: one target's, or all.
type tally struct {
	name    string
	streams []*stream
	counts  // open and peak only: the rest is summed from the streams
}

func newReporter(ss []*stream, cfg floodConfig) *reporter {
	r := &reporter{streams: ss, cfg: cfg, done: make(chan struct{})}
	r.all.name = "in all"
	for _, t := range cfg.targets {
		tt := &tally{name: t.String() + ", all kinds"}
		for _, s := range ss {
			if s.target == t {
				tt.streams = append(tt.streams, s)
				s.up = append(s.up, &tt.counts)
			}
		}
		r.targets = append(r.targets, tt)
	}
	for _, s := range ss {
		r.all.streams = append(r.all.streams, s)
		s.up = append(s.up, &r.all.counts)
	}
	return r
}

func (r *reporter) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Printf(format+"\n", args...)
}

// start prints the first line and starts the progress lines.
func (r *reporter) start() {
	r.begun = time.Now()
	var ks []string
	for _, k := range r.cfg.kinds {
		ks = append(ks, k.String())
	}
	from := "the kernel's choice of source address"
	if len(r.cfg.sources) > 0 {
		from = "source " + joinIPs(r.cfg.sources)
	}
	var ts []string
	for _, t := range r.cfg.targets {
		ts = append(ts, t.String())
	}
	r.printf("flood: %d connections of kinds %s against %s, at most %g new a second, for %s, from %s",
		r.cfg.conns, strings.Join(ks, ","), strings.Join(ts, ", "), r.cfg.rate, r.cfg.duration, from)
	r.wg.Go(func() {
		t := time.NewTicker(r.cfg.every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.progress()
			case <-r.done:
				return
			}
		}
	})
}

// tried counts a slot's first dial; the last one prints the ramp line.
func (r *reporter) tried() {
	if r.dialled.Add(1) == int64(r.cfg.conns) {
		r.printf("flood ramped in %s: every connection dialled once; %d open", r.since(), r.all.open.Load())
	}
}

func (r *reporter) since() time.Duration { return time.Since(r.begun).Round(100 * time.Millisecond) }

// progress prints one line: how many are open, per target, and what
// happened so far.
func (r *reporter) progress() {
	var per []string
	for _, t := range r.targets {
		per = append(per, fmt.Sprintf("%s %d", t.streams[0].target.addr, t.open.Load()))
	}
	sum := r.all.sum()
	r.printf("flood %s: open %d of %d (%s); %d opened, %d closed by the server, %d dial errors",
		r.since(), r.all.open.Load(), r.cfg.conns, strings.Join(per, ", "), sum.opens, sum.byServer, sum.dialErrs)
}

// final prints the summary, while the connections are still open.
func (r *reporter) final() {
	close(r.done)
	r.wg.Wait()
	r.printf("flood over after %s:", r.since())
	for _, s := range r.streams {
		r.printf("  %s %s: %s", s.target, s.kind, describe(&s.counts, s.slots, s.snapshot()))
	}
	for _, t := range r.targets {
		if len(t.streams) > 1 {
			r.printf("  %s: %s", t.name, describe(&t.counts, t.slots(), t.sum()))
		}
	}
	r.printf("mrhostile: flood over: %s", describe(&r.all.counts, r.cfg.conns, r.all.sum()))
}

// allReached reports whether every target accepted a connection.
func (r *reporter) allReached() bool {
	for _, t := range r.targets {
		if t.sum().opens == 0 {
			return false
		}
	}
	return true
}

// snap is a copy of a stream's counters, or their sum over streams.
type snap struct {
	opens, dialErrs, byServer, fast, mid, late, lifeMs, answers int64
	answer1, dialErr                                            string
}

func (c *counts) snapshot() snap {
	c.sampleMu.Lock()
	defer c.sampleMu.Unlock()
	return snap{c.opens.Load(), c.dialErrs.Load(), c.byServer.Load(), c.fast.Load(), c.mid.Load(),
		c.late.Load(), c.lifeMs.Load(), c.answers.Load(), c.answer1, c.dialErr}
}

func (t *tally) sum() snap {
	var s snap
	for _, st := range t.streams {
		x := st.snapshot()
		s.opens += x.opens
		s.dialErrs += x.dialErrs
		s.byServer += x.byServer
		s.fast += x.fast
		s.mid += x.mid
		s.late += x.late
		s.lifeMs += x.lifeMs
		s.answers += x.answers
		s.answer1 = cmpOr(s.answer1, x.answer1)
		s.dialErr = cmpOr(s.dialErr, x.dialErr)
	}
	return s
}

func (t *tally) slots() int {
	n := 0
	for _, s := range t.streams {
		n += s.slots
	}
	return n
}

// describe is one summary line: open at the end and at most, opened,
// closed by the server and how soon, answered, dial errors.
func describe(c *counts, slots int, s snap) string {
	var b strings.Builder
	fmt.Fprintf(&b, "open %d of %d at the end (peak %d); %d opened; %d closed by the server",
		c.open.Load(), slots, c.peak.Load(), s.opens, s.byServer)
	if s.byServer > 0 {
		fmt.Fprintf(&b, " (%d within 1s, %d in 1-10s, %d later; mean life %.1fs)",
			s.fast, s.mid, s.late, float64(s.lifeMs)/1000/float64(s.byServer))
	}
	fmt.Fprintf(&b, "; %d answered", s.answers)
	if s.answer1 != "" {
		fmt.Fprintf(&b, " (first: %s)", s.answer1)
	}
	fmt.Fprintf(&b, "; %d dial errors", s.dialErrs)
	if s.dialErr != "" {
		fmt.Fprintf(&b, " (first: %.80s)", s.dialErr)
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func joinIPs(ips []net.IP) string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return strings.Join(s, ",")
}
