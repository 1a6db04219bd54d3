//go:build linux && (amd64 || arm64)

package readahead

import (
	"os"
	"syscall"
)

// fadvWillNeed is POSIX_FADV_WILLNEED.
const fadvWillNeed = 3

func advise(f *os.File, off, n int64) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	sc.Control(func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_FADVISE64, fd, uintptr(off), uintptr(n), fadvWillNeed, 0, 0)
	})
}
