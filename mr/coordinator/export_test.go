// export_test.go: what the coordinator shows its tests, and only them:
// the in-process cluster tests (package coordinator_test, cluster_*_test.go)
// read the job's summary as it stands and wait on its changes, which no
// program needs (they read /status and the summary file), and set the
// configuration that no program sets.

package coordinator

import (
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// Summary is the job's record as it stands; once Run has returned, the
// record it wrote.
func (c *Coordinator) Summary() protocol.Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.life.ended
	if end.IsZero() {
		end = time.Now()
	}
	return c.summaryLocked(end)
}

// Changed returns a channel that is closed at the job's next change
// (an attempt started or ended, a worker joined or died, ...): with
// Summary, a test waits for a state without polling.
func (c *Coordinator) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// SetMaxFailures sets how many of the app's failures of one task fail the
// job (default 12), so that a test of a failing app ends soon.
func (cfg *Config) SetMaxFailures(n int) { cfg.maxFailures = n }

// SetSampler gives the total-order sample the app as a Go value, as a
// test has it, instead of a plugin to load.
func (cfg *Config) SetSampler(app *mr.App) { cfg.sampler = app }

// SetBlockSize sets the block of the checksums of the inputs the
// coordinator holds.
func (cfg *Config) SetBlockSize(n int64) { cfg.blockSize = n }

// SetReduceBatch sets the most reduce tasks one assignment carries (1:
// one by one), so that a test compares batches with single tasks.
func (cfg *Config) SetReduceBatch(n int) { cfg.reduceBatch = n }

// SetPartitionSeed fixes the seed of the keys' hash, which otherwise
// comes with the job's id, so that two jobs send each key to the same
// reduce task and a test can compare their outputs file by file.
func (cfg *Config) SetPartitionSeed(seed uint64) { cfg.partitionSeed = &seed }

// SetTimings sets the long poll, the grace after the job and the period
// of the progress line: shorter than a program's, so that a test cluster
// answers and ends at once.
func (cfg *Config) SetTimings(longPoll, exitGrace, progressEvery time.Duration) {
	cfg.longPoll, cfg.exitGrace, cfg.progressEvery = longPoll, exitGrace, progressEvery
}
