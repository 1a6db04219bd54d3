// Replay: the cache of nonces already seen, bounded in all and per source,
// that makes a captured request useless.

package auth

import (
	"container/heap"
	"math"
	"sync"
	"time"
)

// Seen is what VerifyRequest asks of a replay cache: one source's part
// of a *Replay (Replay.From).
type Seen interface {
	// Check accepts a request made at t, seen at now, with this nonce,
	// once, or says why not (ErrStale, ErrReplayed, ErrBusy).
	Check(nonce []byte, t, now time.Time) error
}

// Replay remembers the nonces of signed requests while they are fresh, so
// that a captured request cannot be played again. Its memory is bounded,
// and no single source (a host, or a worker's session) can fill it to
// lock the others out:
//
//   - a nonce seen before from any source is refused: a request captured
//     from one host and replayed from another is still a replay;
//   - a source holds at most perSource nonces; past that, only its own
//     requests are refused (ErrBusy) until its old ones leave the window;
//   - when the whole cache is full, a source holding at least its fair
//     share (max / sources) is refused; any other source's request takes
//     the place of the oldest nonce, if that one's request was made more
//     than window/4 ago. A nonce forgotten so early raises the floor: every
//     request made at or before it is refused from then on as stale, so a
//     forgotten nonce can never be replayed, while an honest request,
//     signed moments before it arrives, is well after the floor.
//
// A nonce also leaves when its request leaves the window, exactly then.
type Replay struct {
	window    time.Duration
	max       int
	perSource int

	// mu guards seen, byTime, sources and floor.
	mu      sync.Mutex
	seen    map[[nonceSize]byte]struct{}
	byTime  seenHeap       // every nonce remembered, the oldest request first
	sources map[string]int // nonces remembered per source; no zero counts
	floor   int64          // unix ns: a request made at or before it is stale
}

type seenAt struct {
	nonce  [nonceSize]byte
	t      int64 // when the request was made, unix ns
	source string
}

// NewReplayQuota remembers requests up to window old, at most limit of
// them, each source (From) holding at most perSource nonces at once. With
// perSource equal to limit there is no quota: the cache of a receiver that
// checks every request as from one source (From("")), or that trusts its
// sources alike.
func NewReplayQuota(window time.Duration, limit, perSource int) *Replay {
	limit = max(limit, 1)
	return &Replay{window: window, max: limit, perSource: max(min(perSource, limit), 1),
		seen: make(map[[nonceSize]byte]struct{}), sources: make(map[string]int), floor: math.MinInt64}
}

// From is the part of the cache of one source: the host a request came
// from, or the worker whose session key signed it.
func (r *Replay) From(source string) Seen { return replaySource{r, source} }

type replaySource struct {
	r      *Replay
	source string
}

func (s replaySource) Check(nonce []byte, t, now time.Time) error {
	return s.r.check(s.source, nonce, t, now)
}

// size is the number of nonces remembered.
func (r *Replay) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func (r *Replay) check(source string, nonce []byte, t, now time.Time) error {
	if t.Before(now.Add(-r.window)) || t.After(now.Add(r.window)) {
		return ErrStale
	}
	var key [nonceSize]byte
	copy(key[:], nonce)
	tn := t.UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked(now.Add(-r.window).UnixNano())
	switch {
	case tn <= r.floor:
		return ErrStale
	case r.has(key):
		return ErrReplayed
	case r.sources[source] >= r.perSource:
		return ErrBusy
	case len(r.seen) >= r.max && !r.makeRoomLocked(source, now):
		return ErrBusy
	}
	r.seen[key] = struct{}{}
	r.sources[source]++
	heap.Push(&r.byTime, seenAt{key, tn, source})
	return nil
}

func (r *Replay) has(key [nonceSize]byte) bool {
	_, ok := r.seen[key]
	return ok
}

// makeRoomLocked forgets the oldest nonce for a request of source, if
// source holds less than its fair share and that nonce is old enough.
func (r *Replay) makeRoomLocked(source string, now time.Time) bool {
	n := len(r.sources)
	if r.sources[source] == 0 {
		n++
	}
	if r.sources[source] >= r.max/n {
		return false
	}
	if r.byTime[0].t > now.Add(-r.window/4).UnixNano() {
		return false
	}
	r.forgetOldestLocked()
	return true
}

// pruneLocked forgets the nonces of requests made before oldest: they are
// refused as stale anyway.
func (r *Replay) pruneLocked(oldest int64) {
	for len(r.byTime) > 0 && r.byTime[0].t < oldest {
		r.forgetOldestLocked()
	}
}

// forgetOldestLocked forgets the oldest nonce and raises the floor to its
// request's time.
func (r *Replay) forgetOldestLocked() {
	e := heap.Pop(&r.byTime).(seenAt)
	delete(r.seen, e.nonce)
	if r.sources[e.source]--; r.sources[e.source] == 0 {
		delete(r.sources, e.source)
	}
	r.floor = max(r.floor, e.t)
}

// seenHeap orders nonces by their request's time, the oldest first.
type seenHeap []seenAt

func (h seenHeap) Len() int           { return len(h) }
func (h seenHeap) Less(i, j int) bool { return h[i].t < h[j].t }
func (h seenHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seenHeap) Push(x any)        { *h = append(*h, x.(seenAt)) }
func (h *seenHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
