//go:build linux && (amd64 || arm64)

package readahead

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// POSIX_FADV_WILLNEED and POSIX_FADV_DONTNEED.
const (
	fadvWillNeed = 3
	fadvDontNeed = 4
)

// minChunk is how much one POSIX_FADV_WILLNEED asks for where the
// device's window is not known: the kernel reads at most a readahead
// window per call (the larger of the device's read_ahead_kb and its
// largest request) and drops the rest, and 128 KiB is the smallest window
// a device has by default.
const minChunk = 128 << 10

// windows caches each device's chunk (windowOf), by its number.
var windows sync.Map // uint64 -> int64

// windowOf is how much one call of the advice reads of a file on device
// dev: its read_ahead_kb or largest request, whichever is larger (a
// partition's are its disk's), at least minChunk. On this project's
// machine 8 MiB: 8 calls for a 64 MiB split rather than 512.
func windowOf(dev uint64) int64 {
	if w, ok := windows.Load(dev); ok {
		return w.(int64)
	}
	w := int64(minChunk)
	base := fmt.Sprintf("/sys/dev/block/%d:%d", devMajor(dev), devMinor(dev))
	for _, queue := range []string{base + "/queue", base + "/../queue"} {
		ra, err1 := readKB(queue + "/read_ahead_kb")
		io, err2 := readKB(queue + "/max_sectors_kb")
		if err1 == nil || err2 == nil {
			w = max(w, ra, io)
			break
		}
	}
	windows.Store(dev, w)
	return w
}

// readKB reads a sysfs number of KiB, in bytes.
func readKB(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || kb < 0 || kb > 1<<30 {
		return 0, errors.New("readahead: not a size")
	}
	return kb << 10, nil
}

// devMajor and devMinor split a Linux device number (glibc's gnu_dev_major
// and gnu_dev_minor).
func devMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&0xfffff000 }
func devMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&0xffffff00 }

func advise(f *os.File, off, n int64) {
	chunk := int64(minChunk)
	if st, err := f.Stat(); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			chunk = windowOf(uint64(sys.Dev))
		}
	}
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
