// writer.go: a writer that hands its bytes to a goroutine of its own, a
// buffer at a time, so that producing them and writing them (copying them
// into the page cache, which on some machines costs as much as a merge)
// run on two cores.

package coordinator

import "io"

// asyncWriter writes to w from a goroutine of its own. The first error of
// w is returned by Close, which must be called, and ends the goroutine.
type asyncWriter struct {
	w    io.Writer
	buf  []byte      // being filled
	full chan []byte // to be written, in order
	free chan []byte // written, to be filled again
	done chan error  // the goroutine's first error, once full is closed and drained
}

// newAsyncWriter starts an asyncWriter over n buffers of size bytes.
func newAsyncWriter(w io.Writer, size, n int) *asyncWriter {
	a := &asyncWriter{w: w, full: make(chan []byte, n), free: make(chan []byte, n), done: make(chan error, 1)}
	for range n - 1 {
		a.free <- make([]byte, 0, size)
	}
	a.buf = make([]byte, 0, size)
	go a.run()
	return a
}

// run writes the full buffers until full is closed; after an error it
// only recycles them.
func (a *asyncWriter) run() {
	var err error
	for b := range a.full {
		if err == nil {
			_, err = a.w.Write(b)
		}
		a.free <- b[:0]
	}
	a.done <- err
}

// Write copies p into the buffers; it never fails: Close says whether
// the bytes were written.
func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf, p = a.buf[:len(a.buf)+k], p[k:]
		if len(a.buf) == cap(a.buf) {
			a.full <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// Close writes what is left and returns the first error of w.
func (a *asyncWriter) Close() error {
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	close(a.full)
	return <-a.done
}
