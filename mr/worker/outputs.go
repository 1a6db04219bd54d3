// outputs.go: the map outputs a worker serves, from its commit to its
// drop, and its answers to the coordinator's Verify until a heartbeat
// takes them.

package worker

import (
	"os"
	"sync"

	"mapreduce/internal/protocol"
)

// runKey names the output of an accepted map attempt: map task m,
// attempt n.
type runKey struct{ m, n int }

// outputs are the map outputs this worker serves.
type outputs struct {
	// mu guards served and verified.
	mu       sync.Mutex
	served   map[runKey]bool
	verified []protocol.Verified // answers to the coordinator's Verify, for the next heartbeat
}

// add serves k.
func (o *outputs) add(k runKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.served[k] = true
}

// remove stops serving k.
func (o *outputs) remove(k runKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.served, k)
}

// serves reports whether k is served.
func (o *outputs) serves(k runKey) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.served[k]
}

// list lists the outputs served.
func (o *outputs) list() []protocol.MapAttempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	maps := make([]protocol.MapAttempt, 0, len(o.served))
	for k := range o.served {
		maps = append(maps, protocol.MapAttempt{Map: k.m, Attempt: k.n})
	}
	return maps
}

// keep keeps serving the outputs of adopted, and returns the others,
// served no more; answers to Verify not sent yet are forgotten.
func (o *outputs) keep(adopted []protocol.MapAttempt) (gone []runKey) {
	keep := make(map[runKey]bool, len(adopted))
	for _, m := range adopted {
		keep[runKey{m.Map, m.Attempt}] = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.served {
		if !keep[k] {
			delete(o.served, k)
			gone = append(gone, k)
		}
	}
	o.verified = nil
	return gone
}

// dropMaps stops serving every output of maps, and returns them.
func (o *outputs) dropMaps(maps []int) (gone []runKey) {
	drop := make(map[int]bool, len(maps))
	for _, m := range maps {
		drop[m] = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.served {
		if drop[k.m] {
			delete(o.served, k)
			gone = append(gone, k)
		}
	}
	return gone
}

// verifiedOne keeps an answer to the coordinator's Verify for the next
// heartbeat.
func (o *outputs) verifiedOne(v protocol.Verified) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.verified = append(o.verified, v)
}

// takeVerified returns the answers to Verify not sent yet, and forgets
// them.
func (o *outputs) takeVerified() []protocol.Verified {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.verified
	o.verified = nil
	return v
}

// removeRuns deletes the run files of outputs no longer served.
func removeRuns(dir string, gone []runKey) {
	for _, k := range gone {
		os.Remove(runPath(dir, k.m, k.n))
	}
}
