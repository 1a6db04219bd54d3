// writeback_linux.go: StartWriteback by sync_file_range(2).

package atomicfile

import (
	"os"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start the write-out of the
// range's dirty pages that are not being written already, without
// waiting for any.
const syncFileRangeWrite = 2

func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { syscall.SyncFileRange(int(fd), off, n, syncFileRangeWrite) })
}
