// progress.go: how far the running attempt has got, for heartbeats.

package worker

import (
	"sync"

	"mapreduce/internal/protocol"
)

// progressMeter is how far the worker's current attempt has got, from 0 to
// 1, as its heartbeats tell the coordinator (which backs up the attempt
// expected to finish last). The estimate is rough but comparable across
// workers: a map attempt is 10% reading its split, then 90% emitting
// records in proportion to what earlier maps emitted per input byte; a
// reduce attempt is half fetching, half merging and reducing, by bytes.
type progressMeter struct {
	// mu guards all fields.
	mu       sync.Mutex
	attempt  protocol.Attempt
	fraction float64
	perByte  float64 // bytes emitted per input byte by the last map attempt
	before   int64   // a map attempt's input bytes mapped before its current part
	part     int64   // and the current part's, while before > 0
}

// start begins measuring attempt a.
func (p *progressMeter) start(a protocol.Attempt) {
	p.mu.Lock()
	p.attempt, p.fraction, p.before, p.part = a, 0, 0, 0
	p.mu.Unlock()
}

// nextPart begins a part of the current map attempt, a task its task
// absorbed (scheduler/absorb.go): before bytes of input are mapped, n
// more now. The fraction is of them all from now on, so it goes back as
// the attempt's work grows: an attempt with parts left is not all but
// done.
func (p *progressMeter) nextPart(before, n int64) {
	p.mu.Lock()
	p.before, p.part = before, n
	p.fraction = float64(before) / float64(max(before+n, 1))
	p.mu.Unlock()
}

// set records the fraction done, never going back.
func (p *progressMeter) set(f float64) {
	p.mu.Lock()
	p.fraction = max(p.fraction, min(f, 1))
	p.mu.Unlock()
}

// mapEmitted records that a map attempt of n input bytes has emitted
// emitted bytes of records.
func (p *progressMeter) mapEmitted(n, emitted int64) {
	p.mu.Lock()
	perByte, before, part := p.perByte, p.before, p.part
	p.mu.Unlock()
	if perByte <= 0 {
		perByte = 1
	}
	f := 0.1 + 0.9*float64(emitted)/(perByte*float64(max(n, 1)))
	if before > 0 {
		f = (float64(before) + min(f, 1)*float64(part)) / float64(before+part)
	}
	p.set(f)
}

// mapDone learns how much a finished map attempt emitted per input byte.
func (p *progressMeter) mapDone(n, emitted int64) {
	if n > 0 && emitted > 0 {
		p.mu.Lock()
		p.perByte = float64(emitted) / float64(n)
		p.mu.Unlock()
	}
}

// stop ends the measurement: the worker is idle.
func (p *progressMeter) stop() { p.start(protocol.Attempt{}) }

// get returns the attempt being measured and how far it has got.
func (p *progressMeter) get() (protocol.Attempt, float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempt, p.fraction
}
