// uploads.go: a large reduce output uploaded while the worker goes on to
// its next attempt, which the coordinator hands out because the worker
// says the output is on its way (GetTaskArgs.Committing).

package worker

import (
	"context"
	"os"
	"sync"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// uploads is the reduce output being uploaded, if any: one at a time.
type uploads struct {
	// mu guards ctx, attempt and done.
	mu      sync.Mutex
	ctx     context.Context // the uploads' context: the worker's loop's
	attempt protocol.Attempt
	done    chan struct{} // closed when the upload of attempt ended; nil if none began
}

// uploadAhead uploads reduce attempt a's output, out, from the scratch
// directory dir (removed once sent), while the worker asks for and runs
// its next attempt: the coordinator keeps a running until the upload
// commits it (scheduler.Committing), where a worker that asks for work
// is otherwise taken to have dropped what it held. A reducer waited for
// each commit of a large output, its core idle, while the coordinator
// received and wrote it. One upload at a time: this one first waits for
// the last.
func (w *Worker) uploadAhead(a protocol.Attempt, out runfile.Segment, read int64, cnt protocol.Counters, dir string) {
	w.waitUpload()
	done := make(chan struct{})
	w.up.mu.Lock()
	ctx := w.up.ctx
	w.up.attempt, w.up.done = a, done
	w.up.mu.Unlock()
	if ctx == nil { // an attempt run outside the loop, as tests do
		ctx = context.Background()
	}
	go func() {
		defer close(done)
		defer os.RemoveAll(dir)
		if err := w.upload(ctx, a, out, read, &cnt); err != nil {
			w.log.Warn("upload failed", "attempt", a.String(), "err", err)
		}
	}()
}

// committing lists the attempt whose output is being uploaded, if any,
// for the coordinator.
func (w *Worker) committing() []protocol.Attempt {
	w.up.mu.Lock()
	defer w.up.mu.Unlock()
	if w.up.done == nil {
		return nil
	}
	select {
	case <-w.up.done:
		return nil
	default:
		return []protocol.Attempt{w.up.attempt}
	}
}

// waitUpload waits for the upload under way, if any, to end.
func (w *Worker) waitUpload() {
	w.up.mu.Lock()
	done := w.up.done
	w.up.mu.Unlock()
	if done != nil {
		<-done
	}
}

// startUploads sets the context of this loop's uploads; the function it
// returns cancels them and waits for the one under way.
func (w *Worker) startUploads(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	w.up.mu.Lock()
	w.up.ctx = ctx
	w.up.mu.Unlock()
	return func() {
		cancel()
		w.waitUpload()
	}
}
