package prefault

import (
	"runtime"
	"syscall"
	"testing"
)

// After populate, writing a fresh mapping's pages takes (nearly) no
// faults: without it, one a page.
func TestPopulateFaultsPagesIn(t *testing.T) {
	runtime.LockOSThread() // the faults are counted for this thread
	defer runtime.UnlockOSThread()
	const size = 8 << 20
	pages := int64(size / 4096)
	fresh := func() []byte {
		m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			t.Skip("no anonymous mapping:", err)
		}
		t.Cleanup(func() { syscall.Munmap(m) })
		return m
	}
	faults := func(m []byte) int64 {
		var before, after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_THREAD, &before)
		for i := 0; i < len(m); i += 4096 {
			m[i] = 1
		}
		syscall.Getrusage(syscall.RUSAGE_THREAD, &after)
		return after.Minflt - before.Minflt
	}
	if got := faults(fresh()); got < pages/2 {
		t.Skipf("writing %d fresh pages took %d faults: pages fault in larger units here", pages, got)
	}
	m := fresh()
	if err := populate(m); err != nil {
		t.Skip("this kernel cannot populate pages:", err)
	}
	if got := faults(m); got > pages/10 {
		t.Errorf("writing %d pages populated took %d faults", pages, got)
	}
}
