// Group commit: the writer goroutine that writes every record queued
// meanwhile with one write and one fsync, and poisons the journal when
// either fails.

package journal

import "fmt"

// maxSpare bounds the buffer a Journal keeps between groups: a rare large
// group's buffer is left to the garbage collector.
const maxSpare = 256 << 10

// run is the writer goroutine: woken by a kick, it takes the pending
// group and commits it, so records queued during one write and fsync
// share the next. When Close closes kick it commits what is left and
// exits.
func (j *Journal) run() {
	defer close(j.done)
	for range j.kick {
		j.commit(j.take())
	}
	j.commit(j.take())
}

// take swaps the pending group for an empty one and returns it.
func (j *Journal) take() *batch {
	j.mu.Lock()
	defer j.mu.Unlock()
	b := j.pending
	j.pending = &batch{buf: j.spare, done: make(chan struct{})}
	j.spare = nil
	return b
}

// commit writes and fsyncs the group b, unless the journal is poisoned,
// then wakes its callers with the outcome. An empty group (a sync with
// nothing new to write) costs no write: every group before it has been
// committed already.
func (j *Journal) commit(b *batch) {
	buf := b.buf
	err := j.failed()
	if err == nil && len(buf) > 0 {
		err = j.write(buf)
	}
	b.buf, b.err = nil, err
	close(b.done)
	if cap(buf) <= maxSpare {
		j.mu.Lock()
		j.spare = buf[:0]
		j.mu.Unlock()
	}
}

// write writes buf with one write and fsyncs it; on failure it poisons
// the journal and returns the poison.
func (j *Journal) write(buf []byte) error {
	_, err := j.f.Write(buf)
	if err == nil {
		err = j.f.Sync()
	}
	if err == nil {
		return nil
	}
	err = fmt.Errorf("journal: writing %s: %w", j.path, err)
	j.mu.Lock()
	j.err = err
	j.mu.Unlock()
	return err
}
