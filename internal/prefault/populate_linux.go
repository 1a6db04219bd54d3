package prefault

import (
	"os"
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14); an older kernel
// answers EINVAL, and the pages fault in as they are written.
const madvPopulateWrite = 23

// populate asks for b's pages at once, and returns the kernel's error.
// madvise wants a page-aligned start: the first partial page is left to
// fault as it is written.
func populate(b []byte) error {
	page := uintptr(os.Getpagesize())
	off := int(-uintptr(unsafe.Pointer(&b[0])) & (page - 1))
	if off >= len(b) {
		return nil
	}
	return syscall.Madvise(b[off:], madvPopulateWrite)
}
