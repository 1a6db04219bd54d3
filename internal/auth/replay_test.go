// Tests of the replay cache as tables of requests, and of its fairness
// when full.

package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// nonce is a distinct nonce per tag, so that steps can replay one.
func nonce(tag int) []byte {
	b := make([]byte, nonceSize)
	b[0], b[1], b[2] = byte(tag), byte(tag>>8), byte(tag>>16)
	return b
}

// step is one request: from source, with nonce tag, made at t and seen at
// now (both offsets from t0), and what Check must answer.
type step struct {
	source string
	tag    int
	t, now time.Duration
	want   error
}

func runSteps(t *testing.T, r *Replay, steps []step) {
	t.Helper()
	for i, s := range steps {
		err := r.From(s.source).Check(nonce(s.tag), t0.Add(s.t), t0.Add(s.now))
		if !errors.Is(err, s.want) {
			t.Fatalf("step %d (%s, nonce %d, t %v, now %v): err = %v, want %v", i, s.source, s.tag, s.t, s.now, err, s.want)
		}
	}
}

func TestReplayTable(t *testing.T) {
	const w = time.Minute
	tests := []struct {
		name           string
		max, perSource int
		steps          []step
	}{
		{"replayed from another host", 10, 10, []step{
			{"a", 1, 0, 0, nil},
			{"b", 1, 0, time.Second, ErrReplayed},
			{"a", 1, 0, time.Second, ErrReplayed},
		}},
		{"a nonce is kept exactly while its request is fresh", 10, 10, []step{
			{"a", 1, 0, 0, nil},
			{"a", 1, 0, w, ErrReplayed},
			{"a", 1, 0, w + time.Nanosecond, ErrStale},
		}},
		{"a source over its quota refuses only itself", 10, 2, []step{
			{"a", 1, 0, 0, nil},
			{"a", 2, 0, 0, nil},
			{"a", 3, 0, 0, ErrBusy},
			{"b", 4, 0, 0, nil},
			{"a", 5, w + 1, w + 1, nil}, // its old nonces left the window
		}},
		{"future-dated requests of one source lock nobody else out", 4, 2, []step{
			{"a", 1, w, 0, nil},
			{"a", 2, w, 0, nil},
			{"a", 3, w, 0, ErrBusy},
			{"b", 4, 0, 0, nil},
			{"c", 5, 0, 0, nil},
			{"b", 6, time.Second, time.Second, ErrBusy}, // full, and b holds its share
			{"d", 7, time.Second, time.Second, ErrBusy}, // full, and nothing old enough to forget
			{"d", 8, 20 * time.Second, 20 * time.Second, nil},
			{"b", 4, 0, 20 * time.Second, ErrStale}, // forgotten early: below the floor
			{"c", 5, 0, 20 * time.Second, ErrStale},
			{"e", 9, 20 * time.Second, 20 * time.Second, nil},
		}},
		{"the floor refuses only requests older than what was forgotten", 2, 2, []step{
			{"a", 1, 0, 0, nil},
			{"a", 2, 10 * time.Second, 10 * time.Second, nil},
			{"b", 3, 30 * time.Second, 30 * time.Second, nil}, // forgets nonce 1, floor at 0
			{"c", 4, -time.Second, 30 * time.Second, ErrStale},
			{"c", 5, time.Second, 30 * time.Second, ErrBusy}, // full: nonce 2 is 20 s old, too young
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, NewReplayQuota(w, tt.max, tt.perSource), tt.steps)
		})
	}
}

// Many sources at their quota still leave room for a newcomer, and the
// cache never holds more than its limit.
func TestReplayNeverFullForEveryone(t *testing.T) {
	const w = time.Minute
	r := NewReplayQuota(w, 64, 8)
	for i := range 200 {
		src := fmt.Sprintf("h%d", i%16)
		r.From(src).Check(nonce(i), t0, t0)
		if r.size() > 64 {
			t.Fatalf("%d nonces in a cache of 64", r.size())
		}
	}
	later := t0.Add(w / 2)
	if err := r.From("honest").Check(nonce(1000), later, later); err != nil {
		t.Fatalf("a newcomer was refused by a full cache: %v", err)
	}
	if err := r.From("h3").Check(nonce(0), t0, later); !errors.Is(err, ErrStale) && !errors.Is(err, ErrReplayed) {
		t.Fatalf("an old nonce was accepted again: %v", err)
	}
}
