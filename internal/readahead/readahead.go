// Package readahead asks the kernel to start reading a file's bytes into
// the page cache before they are read.
//
// A map task's split is read whole before Map is called, so a split whose
// pages are not cached waits for the device: the kernel's own readahead
// follows the reads, a window at a time, and each page missing in the
// middle of a cached file costs a read of its own. Asked for the whole
// range (POSIX_FADV_WILLNEED, a device readahead window per call: the
// kernel reads no more than that of one call and drops the rest), the
// kernel queues the reads and returns; the bytes arrive while the caller
// goes on, and a range already cached costs a walk of the cache and
// nothing else.
package readahead

import "os"

// File asks for n bytes of f from off to be read into the page cache,
// without waiting for them. It is advice: a kernel or file system that
// cannot take it ignores it, and so does File.
func File(f *os.File, off, n int64) {
	if n > 0 && off >= 0 {
		advise(f, off, n)
	}
}

// From is the smallest range Path asks for: below it, opening the file
// costs more than the advice saves, since the kernel's own readahead reads
// a small file whole at its first read.
const From = 1 << 20

// Path is File for the file at path, opened and closed for the call, if
// the range is at least From bytes.
func Path(path string, off, n int64) {
	if n < From {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	File(f, off, n)
	f.Close()
}

// Cached reports how many of the pages covering n bytes of f from off are
// in the page cache, read (a page still being read is not counted), and
// how many pages cover the range; an error where the kernel cannot tell.
// It maps the range for the call.
func Cached(f *os.File, off, n int64) (cached, pages int, err error) {
	return cachedPages(f, off, n)
}

// Drop asks the kernel to drop the cached pages of n bytes of f from off
// that are clean (on disk already): a cold read, for tests and
// benchmarks. Like File, it is advice.
func Drop(f *os.File, off, n int64) {
	if n > 0 && off >= 0 {
		drop(f, off, n)
	}
}
