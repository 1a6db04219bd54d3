//go:build linux && (amd64 || arm64)

package readahead

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// fadvDontNeed is POSIX_FADV_DONTNEED: clean pages leave the page cache.
const fadvDontNeed = 4

// cached counts the pages of f's first size bytes in the page cache whose
// reads are done (mincore counts no page still being read).
func cached(t *testing.T, f *os.File, size int) int {
	t.Helper()
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	vec := make([]byte, (size+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(size), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// A file dropped from the page cache comes back into it after File (or
// Path), every page of the range asked for and none past it, with no read
// by the test: the advice queued the reads and returned, so the test
// waits for them (a minute at most, polling the cache).
func TestAdviceQueuesTheRangeIntoTheCache(t *testing.T) {
	const size, off, asked = 8 << 20, 1 << 20, 5 << 20
	for _, how := range []string{"File", "Path"} {
		t.Run(how, func(t *testing.T) {
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
			defer f.Close()
			if err := f.Sync(); err != nil { // clean pages, which DONTNEED drops
				t.Fatal(err)
			}
			syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, size, fadvDontNeed, 0, 0)
			pages, page := size/os.Getpagesize(), os.Getpagesize()
			if n := cached(t, f, size); n > pages/4 {
				t.Skipf("%d of %d pages still cached after POSIX_FADV_DONTNEED: this file system keeps them (tmpfs?)", n, pages)
			}
			if how == "File" {
				File(f, off, asked)
			} else {
				Path(path, off, asked)
			}
			deadline := time.Now().Add(time.Minute)
			for cached(t, f, off+asked) < asked/page {
				if time.Now().After(deadline) {
					t.Fatalf("%d pages of the %d asked for are in the cache a minute later", cached(t, f, off+asked), asked/page)
				}
				time.Sleep(time.Millisecond)
			}
			if n := cached(t, f, size) - cached(t, f, off+asked); n > pages/8 {
				t.Errorf("%d pages past the range asked for are in the cache", n)
			}
		})
	}
}

// Advice on what cannot be read is ignored: no panic, no error.
func TestBadAdviceIsIgnored(t *testing.T) {
	Path(filepath.Join(t.TempDir(), "missing"), 0, 1<<20)
	f, err := os.CreateTemp(t.TempDir(), "empty")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	File(f, 0, 1<<20) // closed
	Path(f.Name(), -1, 1<<20)
	Path(f.Name(), 0, 0)
	Path(f.Name(), 0, From-1)
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
