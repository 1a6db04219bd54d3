// writeback.go: starting a file's write-out to disk early, so that the
// fsync that makes it durable waits for little.

package atomicfile

import (
	"io"
	"os"
)

// StartWriteback asks the kernel to start writing the dirty pages of f in
// [off, off+n) to disk (n 0: to the end of the file) and returns without
// waiting for them. Best effort: a failure shows at the fsync that makes
// the file durable, which this only shortens. It is a no-op where the
// system has no such call.
func StartWriteback(f *os.File, off, n int64) {
	startWriteback(f, off, n)
}

// WritingBack returns f as an io.WriterAt that starts the write-out of
// each range once it is written: the writer of a large file that it syncs
// at the end (a job's final output) then overlaps the disk's work with
// its own. Write sizes of a few hundred KiB keep the calls few.
func WritingBack(f *os.File) io.WriterAt { return writingBack{f} }

type writingBack struct{ f *os.File }

func (w writingBack) WriteAt(p []byte, off int64) (int, error) {
	n, err := w.f.WriteAt(p, off)
	if n > 0 {
		startWriteback(w.f, off, int64(n))
	}
	return n, err
}
