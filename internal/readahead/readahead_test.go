package readahead

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// coldFile writes size random bytes to a new file, on disk, and drops it
// from the page cache; it skips the test where that cannot be done or
// told (tmpfs keeps its pages; mincore is Linux's).
func coldFile(t testing.TB, size int) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input")
	b := make([]byte, size)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Sync(); err != nil { // clean pages, which Drop drops
		t.Fatal(err)
	}
	Drop(f, 0, int64(size))
	n, pages, err := Cached(f, 0, int64(size))
	switch {
	case err != nil:
		t.Skip("the page cache cannot be asked here:", err)
	case n > pages/4:
		t.Skipf("%d of %d pages still cached after Drop: this file system keeps them (tmpfs?)", n, pages)
	}
	return f, path
}

// waitCached waits, a minute at most, until every page of the range is
// in the page cache (read), polling it; it fails the test if not.
func waitCached(t *testing.T, f *os.File, off, n int64) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		got, pages, err := Cached(f, off, n)
		switch {
		case err != nil:
			t.Fatal(err)
		case got == pages:
			return
		case time.Now().After(deadline):
			t.Fatalf("%d pages of the %d asked for are in the cache a minute later", got, pages)
		}
	}
}

// A file dropped from the page cache comes back into it after File (or
// Path), every page of the range asked for and none past it, with no read
// by the test: the advice queued the reads and returned, so the test
// waits for them.
func TestAdviceQueuesTheRangeIntoTheCache(t *testing.T) {
	// More than one readahead window (8 MiB on this project's machine,
	// 128 KiB by default), which is all one call of the advice reads.
	const size, off, asked = 32 << 20, 1 << 20, 24 << 20
	for _, how := range []string{"File", "Path"} {
		t.Run(how, func(t *testing.T) {
			f, path := coldFile(t, size)
			if how == "File" {
				File(f, off, asked)
			} else {
				Path(path, off, asked)
			}
			waitCached(t, f, off, asked)
			before, _, _ := Cached(f, 0, off)
			after, pages, _ := Cached(f, off+asked, size-off-asked)
			if before+after > pages/2 {
				t.Errorf("%d pages outside the range asked for are in the cache", before+after)
			}
		})
	}
}

// Advice on what cannot be read is ignored: no panic, no error; and Path
// leaves a range under From to the kernel.
func TestBadAdviceIsIgnored(t *testing.T) {
	Path(filepath.Join(t.TempDir(), "missing"), 0, 1<<20)
	f, err := os.CreateTemp(t.TempDir(), "empty")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	File(f, 0, 1<<20) // closed
	Drop(f, 0, 1<<20)
	Path(f.Name(), -1, 1<<20)
	Path(f.Name(), 0, 0)
	if _, _, err := Cached(f, 0, 1<<20); err == nil {
		t.Error("Cached answered for a closed file")
	}
}

// Path asks for nothing under From bytes.
func TestPathLeavesSmallRangesToTheKernel(t *testing.T) {
	f, path := coldFile(t, 2*From)
	Path(path, 0, From-1)
	File(f, From, From) // a later range the test waits for: by then the first would be in
	waitCached(t, f, From, From)
	if n, _, _ := Cached(f, 0, From-1); n > 0 {
		t.Errorf("%d pages of a range under From were read ahead", n)
	}
}

// What advice on a range already cached costs: a walk of the cache.
func BenchmarkFileCached(b *testing.B) {
	const size = 64 << 20
	path := filepath.Join(b.TempDir(), "input")
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(size)
	for b.Loop() {
		File(f, 0, size)
	}
}
