// lifecycle.go: a coordinator's life, running → over → stopping: the job
// ends (finished, failed or stopped), the workers hear Exit, then Run
// stops serving and waits for what is in flight.

package coordinator

import (
	"errors"
	"sync"
	"time"
)

// stage is where a coordinator is in its life.
type stage int

const (
	running  stage = iota // the job runs
	over                  // the job finished or failed: done is closed
	stopping              // Run shuts down: stop is closed and no upload starts
)

func (s stage) String() string {
	switch s {
	case running:
		return "running"
	case over:
		return "over"
	}
	return "stopping"
}

// lifecycle is a coordinator's life, running → over → stopping, with the
// channels each step closes and the goroutines that stopping waits for.
type lifecycle struct {
	done chan struct{}  // closed as the job becomes over
	stop chan struct{}  // closed as Run starts stopping: ends long polls, tickers and the inputs' description
	wg   sync.WaitGroup // goroutines Run started: serving, ticks, the final merge

	// Coordinator.mu guards stage, err and ended.
	stage stage
	err   error     // why the job failed; nil while it runs, or if it finished
	ended time.Time // when the job became over; zero while it runs
}

func newLifecycle() lifecycle {
	return lifecycle{done: make(chan struct{}), stop: make(chan struct{})}
}

// failLocked records why the job failed, unless a failure is recorded
// already, and makes it over.
func (l *lifecycle) failLocked(err error) {
	if l.err == nil {
		l.err = err
	}
	l.endLocked()
}

// endLocked makes a running job over.
func (l *lifecycle) endLocked() {
	if l.stage == running {
		l.stage, l.ended = over, time.Now()
		close(l.done)
	}
}

// stopLocked starts stopping: long polls and tickers end, and no upload
// starts any more.
func (l *lifecycle) stopLocked() {
	if l.stage != stopping {
		l.stage = stopping
		close(l.stop)
	}
}

// stopped ends the job because the coordinator was told to stop: the
// workers are not told, they find it gone as if it had died.
func (c *Coordinator) stopped(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.life.stage != running {
		return
	}
	if c.jr.journal != nil {
		c.log.Warn("coordinator stopped; run the same command again to resume the job", "journal", c.jr.journal.path)
	} else {
		c.log.Error("job failed", "err", err)
	}
	c.life.failLocked(err)
}

// errStopped is a job that ended because its coordinator was told to stop.
var errStopped = errors.New("mr: coordinator stopped")

// fail ends the job with err, unless it is already over; workers that
// ask are told it failed, and why.
func (c *Coordinator) fail(err error) {
	c.mu.Lock()
	if c.life.stage == running {
		c.log.Error("job failed", "err", err)
		if !c.sched.Job().Over {
			c.sched.End(err.Error())
		}
		c.life.failLocked(err)
	}
	events := c.changedLocked()
	c.mu.Unlock()
	c.logEvents(events)
}

// waitForExits gives live workers up to exitGrace to be told to exit and
// to hang up, so they leave cleanly instead of finding us gone. A worker
// closes its connection only after reading the answer, so waiting for
// the connections to close is what makes sure every Exit was delivered.
//
// A resumed job may finish before the workers of its earlier run, which
// wait out the restart window for it, are back: it waits for them too,
// up to twice the heartbeat timeout (they retry every half second), so
// that they hear Exit instead of waiting minutes for a coordinator that
// is gone.
func (c *Coordinator) waitForExits() {
	grace := c.cfg.exitGrace
	c.mu.Lock()
	if len(c.jr.earlier) > 0 {
		grace = max(grace, 2*c.cfg.HeartbeatTimeout)
	}
	c.mu.Unlock()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		all, ch := c.sched.Progress().AllExited && c.front.openConns() == 0 && c.jr.allBackLocked(), c.changed
		c.mu.Unlock()
		if all {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			return
		}
	}
}

// shutdown stops serving and waits for everything in flight, so that
// no temp file is left: uploads (in the work directory, and mr-out-Y's
// temp in -out) end and clean up after themselves, then the work
// directory goes.
func (c *Coordinator) shutdown() {
	defer c.dirs.lock.release()
	c.mu.Lock()
	c.life.stopLocked()
	c.mu.Unlock()
	c.front.close()
	c.up.inflight.Wait() // before wg.Wait: the last commit may start the final merge on wg
	if c.final != nil {
		c.final.halt()
	}
	c.life.wg.Wait()
	if c.final != nil {
		c.final.abort()
	}
	c.dirs.remove(c.jr.journal != nil)
	if c.jr.journal != nil {
		c.jr.journal.log.Close()
	}
}
