// lifecycle_test.go: a job becomes over once, keeps the first reason it
// failed, and stops once.

package coordinator

import (
	"errors"
	"testing"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestLifecycleRunningOverStopping(t *testing.T) {
	l := newLifecycle()
	if l.stage != running || closed(l.done) || closed(l.stop) {
		t.Fatalf("a new lifecycle is %s, done closed %t, stop closed %t", l.stage, closed(l.done), closed(l.stop))
	}
	first := errors.New("first")
	l.failLocked(first)
	ended := l.ended
	if l.stage != over || !closed(l.done) || closed(l.stop) || ended.IsZero() {
		t.Fatalf("after a failure: %s, done closed %t, stop closed %t, ended %v", l.stage, closed(l.done), closed(l.stop), ended)
	}
	l.failLocked(errors.New("second")) // closes nothing twice
	l.endLocked()
	if l.err != first || l.ended != ended {
		t.Fatalf("a job over failed again: err %v, ended %v (was %v)", l.err, l.ended, ended)
	}
	l.stopLocked()
	l.stopLocked()
	if l.stage != stopping || !closed(l.stop) {
		t.Fatalf("after stopping: %s, stop closed %t", l.stage, closed(l.stop))
	}
}
