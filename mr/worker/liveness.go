// liveness.go: the worker's view of its coordinator, one small state
// machine driven by events (answered, failed, forgotUs, ...) on a clock
// it is given: not reached yet, answering, an outage of a journaled job
// being waited out, or lost; and whether the coordinator forgot this
// worker, which must then register again.

package worker

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// errCoordinatorLost means the coordinator stopped answering.
var errCoordinatorLost = errors.New("mr: coordinator lost")

// coordState is what a worker knows of its coordinator.
type coordState int

const (
	unreached coordState = iota // it never answered: it may take WaitCoordinator to come
	answering                   // it answered: after LostAfter of silence it is lost
	outage                      // a journaled job's coordinator went silent: waited for up to its restart window
	lost                        // silent longer than its state allows
)

func (s coordState) String() string {
	switch s {
	case unreached:
		return "unreached"
	case answering:
		return "answering"
	case outage:
		return "outage"
	}
	return "lost"
}

// liveness is the worker's view of its coordinator. Its methods are
// safe for concurrent use: the heartbeat, the task loop and the client
// all drive it.
type liveness struct {
	coordinator string        // its address, for messages
	waitFirst   time.Duration // Config.WaitCoordinator
	lostAfter   time.Duration // Config.LostAfter
	now         func() time.Time

	// mu guards state, last, job, forgot and said.
	mu    sync.Mutex
	state coordState // unreached, answering or outage; lost is judged by the clock
	last  time.Time  // the last answer, or when the worker started
	job   struct {
		journaled bool          // silence is waited out up to window
		window    time.Duration // the job's restart window
	}
	forgot bool            // it no longer knows this worker: register again
	said   map[string]bool // what was said once
}

// newLiveness is cfg's coordinator, not reached yet, on clock now.
func newLiveness(cfg Config, now func() time.Time) *liveness {
	return &liveness{coordinator: cfg.Coordinator, waitFirst: cfg.WaitCoordinator, lostAfter: cfg.LostAfter,
		now: now, last: now(), said: make(map[string]bool)}
}

// started notes that the worker starts waiting for its coordinator now.
func (l *liveness) started() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = l.now()
}

// dialed notes that a connection to the coordinator was made: it is
// reached, and LostAfter applies from now on rather than WaitCoordinator
// (the silence still counts from its last answer).
func (l *liveness) dialed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == unreached {
		l.state = answering
	}
}

// dialFailed notes a failed dial; it reports whether the coordinator was
// never reached and this is the first time: the time to say the worker
// waits for it.
func (l *liveness) dialFailed() (first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state == unreached && l.once("waiting")
}

// answered notes an answer (a reply, or the coordinator's refusal); it
// reports whether that ends an outage.
func (l *liveness) answered() (back bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = l.now()
	back = l.state == outage
	l.state = answering
	return back
}

// failed notes a call the coordinator did not answer; it reports whether
// that starts the outage of a journaled job, which is then waited out.
func (l *liveness) failed() (outageStarts bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == answering && l.job.journaled {
		l.state = outage
		return true
	}
	return false
}

// registered notes a registration: whether the job is journaled, and its
// restart window. The coordinator knows this worker again.
func (l *liveness) registered(journaled bool, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.job.journaled, l.job.window = journaled, window
	l.forgot = false
}

// forgotUs notes that the coordinator no longer knows this worker.
func (l *liveness) forgotUs() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgot = true
}

// otherJob notes that the coordinator's address serves another job; it
// reports whether that is the first time (the time to say so).
func (l *liveness) otherJob() (first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.once("other job")
}

// once reports whether key is said for the first time.
func (l *liveness) once(key string) bool {
	if l.said[key] {
		return false
	}
	l.said[key] = true
	return true
}

// reached reports whether the coordinator was ever reached.
func (l *liveness) reached() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state != unreached
}

// mustRegister reports whether the coordinator forgot this worker since
// it last registered.
func (l *liveness) mustRegister() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.forgot
}

// journaled reports whether the job is journaled: a silent coordinator
// is waited for up to its restart window.
func (l *liveness) journaled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.job.journaled
}

// current is the coordinator's state now.
func (l *liveness) current() coordState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.now().Sub(l.last) >= l.limitLocked() {
		return lost
	}
	return l.state
}

// limit is how long the coordinator may stay silent: WaitCoordinator
// before it was reached; LostAfter since, or the restart window of a
// journaled job if longer.
func (l *liveness) limit() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limitLocked()
}

func (l *liveness) limitLocked() time.Duration {
	switch {
	case l.state == unreached:
		return l.waitFirst
	case l.job.journaled:
		return max(l.job.window, l.lostAfter)
	}
	return l.lostAfter
}

// lost returns nil while the coordinator may still answer, else an
// errCoordinatorLost saying how long it was waited for.
func (l *liveness) lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.limitLocked()
	if l.now().Sub(l.last) < limit {
		return nil
	}
	switch {
	case l.state == unreached:
		return fmt.Errorf("%w: no coordinator answered at %s within %s (-wait-coordinator)", errCoordinatorLost, l.coordinator, limit)
	case l.job.journaled:
		return fmt.Errorf("%w: coordinator at %s stopped answering, and did not come back within its restart window (%s)",
			errCoordinatorLost, l.coordinator, limit)
	}
	return fmt.Errorf("%w: coordinator at %s stopped answering (nothing for %s)", errCoordinatorLost, l.coordinator, limit)
}
