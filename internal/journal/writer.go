// Journal, the open journal: Append, its queue of records for the writer
// goroutine, and Close.

package journal

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// errClosed is returned by Append, appendAsync and sync on a closed
// Journal.
var errClosed = errors.New("journal: journal is closed")

// file is what a Journal needs of its file; tests hand in fakes that
// count, gate or fail its writes and syncs.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// Journal is an open journal, appended to by one writer goroutine that
// groups records into shared writes and fsyncs. Its methods are safe for
// concurrent use. Close it to flush what is queued and release the file.
type Journal struct {
	path   string
	f      file
	repair Repair
	kick   chan struct{} // wakes the writer (buffered, 1); closed by Close
	done   chan struct{} // closed when the writer has exited

	closeOnce sync.Once
	closeErr  error

	// mu guards pending, spare, err and closed.
	mu      sync.Mutex
	pending *batch // records the writer has yet to take; never nil
	spare   []byte // a written group's buffer, for the next group
	err     error  // the first write or sync error: it fails every later call
	closed  bool
}

// batch is a group of records written with one write and one fsync, and
// what their callers wait on.
type batch struct {
	buf     []byte        // the encoded records
	records int           // how many
	done    chan struct{} // closed once buf is on disk, or has failed
	err     error         // set before done is closed
}

// start returns a Journal appending to f and starts its writer.
func start(f file, path string, repair Repair) *Journal {
	j := &Journal{
		path:    path,
		f:       f,
		repair:  repair,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		pending: &batch{done: make(chan struct{})},
	}
	go j.run()
	return j
}

// Repair returns what Open dropped from the end of the file, for the
// caller to log.
func (j *Journal) Repair() Repair { return j.repair }

// Append adds a record of the caller's kind and returns once it is on
// disk: written and fsynced, with the records queued before it. It fails
// on a closed journal, on a payload over MaxPayload (which leaves the
// journal usable), or with the write or sync error that poisoned the
// journal. Append copies payload before returning.
func (j *Journal) Append(kind byte, payload []byte) error {
	b, err := j.enqueue(kind, payload)
	if err != nil {
		return err
	}
	<-b.done
	return b.err
}

// appendAsync queues a record as Append does but returns without waiting
// for it: the writer writes and fsyncs it with the next group, and sync
// or Close waits for it. A failure to write it poisons the journal, and
// so is returned by every later call. appendAsync copies payload.
func (j *Journal) appendAsync(kind byte, payload []byte) error {
	_, err := j.enqueue(kind, payload)
	return err
}

// sync returns once every record queued before it (by Append or
// appendAsync) is on disk, or with the error that poisoned the journal.
func (j *Journal) sync() error {
	j.mu.Lock()
	if err := j.usableLocked(); err != nil {
		j.mu.Unlock()
		return err
	}
	b := j.pending
	j.kickLocked()
	j.mu.Unlock()
	<-b.done
	return b.err
}

// Close waits until every queued record is written and fsynced, stops
// the writer and closes the file. It returns the error that poisoned the
// journal, if any, so a caller that checks only Close still learns that
// records were lost. Later calls return the same result; Append and
// sync then return errClosed.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() { j.closeErr = j.close() })
	return j.closeErr
}

func (j *Journal) close() error {
	j.mu.Lock()
	j.closed = true
	close(j.kick)
	j.mu.Unlock()
	<-j.done
	err := j.failed()
	if cerr := j.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: closing %s: %w", j.path, cerr)
	}
	return err
}

// enqueue adds an encoded record to the pending group, wakes the writer
// and returns the group, whose done the record's caller may wait on.
func (j *Journal) enqueue(kind byte, payload []byte) (*batch, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("journal: appending to %s: record of %d bytes is over the limit of %d", j.path, len(payload), MaxPayload)
	}
	head, sum := frame(kind, payload) // the checksum, outside the lock
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usableLocked(); err != nil {
		return nil, err
	}
	b := j.pending
	b.buf = append(append(append(b.buf, head[:]...), payload...), sum[:]...)
	b.records++
	j.kickLocked()
	return b, nil
}

// usableLocked returns why the journal takes no more records, or nil.
func (j *Journal) usableLocked() error {
	if j.closed {
		return errClosed
	}
	return j.err
}

// kickLocked wakes the writer, unless a wake-up is already waiting.
func (j *Journal) kickLocked() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// failed returns the error that poisoned the journal, or nil.
func (j *Journal) failed() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
