// uploads.go: the reduce outputs in flight and those committed: how many
// are being received (shutdown waits for them), how many are in place,
// and the committed runs kept in memory for the final merge.

package coordinator

import (
	"sync"
	"sync/atomic"
)

// uploads are the reduce outputs being received or committed, and those
// committed.
type uploads struct {
	seq atomic.Int64 // numbers uploads, so that each has a file of its own
	// inflight counts the uploads being received or committed: Add under
	// Coordinator.mu while the coordinator is not stopping (beginUpload),
	// so that shutdown's Wait, once it is stopping, waits for all.
	inflight sync.WaitGroup

	// mu guards committed, kept and keptBytes.
	mu        sync.Mutex
	committed int            // reduce outputs renamed into place
	kept      map[int][]byte // committed runs held in memory, by reduce task
	keptBytes int64
}

func newUploads() uploads { return uploads{kept: make(map[int][]byte)} }

// beginUpload counts an upload in, unless the coordinator is stopping:
// shutdown waits for those counted, so that none leaves a temp file.
// The caller calls c.up.inflight.Done once the upload is over.
func (c *Coordinator) beginUpload() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.life.stage == stopping {
		return false
	}
	c.up.inflight.Add(1)
	return true
}

// commit counts a reduce output renamed into place, and reports whether
// it is the n'th.
func (u *uploads) commit(n int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.committed++
	return u.committed == n
}

// all reports whether n reduce outputs are in place.
func (u *uploads) all(n int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.committed == n
}

// keep holds reduce task r's committed run in memory, if there is room.
func (u *uploads) keep(r int, run []byte) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.keptBytes+int64(len(run)) > maxKeptRuns {
		return false
	}
	u.kept[r] = run
	u.keptBytes += int64(len(run))
	return true
}

// keptRun is reduce task r's committed run, if it is held in memory.
func (u *uploads) keptRun(r int) ([]byte, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	run, ok := u.kept[r]
	return run, ok
}
