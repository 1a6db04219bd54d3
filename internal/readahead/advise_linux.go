//go:build linux && (amd64 || arm64)

package readahead

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// POSIX_FADV_WILLNEED and POSIX_FADV_DONTNEED.
const (
	fadvWillNeed = 3
	fadvDontNeed = 4
)

// chunk is how much one POSIX_FADV_WILLNEED asks for. The kernel reads
// at most a readahead window per call (the larger of the device's
// read_ahead_kb and its largest request, 128 KiB by default) and drops
// the rest, so a range is asked for a chunk at a time, each within the
// smallest window a device has by default.
const chunk = 128 << 10

func advise(f *os.File, off, n int64) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	sc.Control(func(fd uintptr) {
		for end := off + n; off < end; off += chunk {
			syscall.Syscall6(syscall.SYS_FADVISE64, fd, uintptr(off), uintptr(min(chunk, end-off)), fadvWillNeed, 0, 0)
		}
	})
}

func drop(f *os.File, off, n int64) { fadvise(f, off, n, fadvDontNeed) }

func fadvise(f *os.File, off, n int64, advice uintptr) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	sc.Control(func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_FADVISE64, fd, uintptr(off), uintptr(n), advice, 0, 0)
	})
}

func cachedPages(f *os.File, off, n int64) (int, int, error) {
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	if off < 0 || n <= 0 || int64(int(n+off-start)) != n+off-start {
		return 0, 0, errors.New("readahead: a range of no pages")
	}
	m, err := syscall.Mmap(int(f.Fd()), start, int(n+off-start), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return 0, 0, err
	}
	defer syscall.Munmap(m)
	vec := make([]byte, (int64(len(m))+page-1)/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		return 0, 0, e
	}
	cached := 0
	for _, v := range vec {
		cached += int(v & 1)
	}
	return cached, len(vec), nil
}
