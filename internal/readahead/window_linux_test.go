//go:build linux && (amd64 || arm64)

package readahead

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// A device number splits as glibc's makedev builds it.
func TestDeviceNumbers(t *testing.T) {
	makedev := func(major, minor uint64) uint64 {
		return minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
	}
	for _, d := range [][2]uint64{{254, 0}, {8, 17}, {259, 1 << 16}, {4097, 300}} {
		dev := makedev(d[0], d[1])
		if devMajor(dev) != d[0] || devMinor(dev) != d[1] {
			t.Errorf("device %#x: %d:%d, want %d:%d", dev, devMajor(dev), devMinor(dev), d[0], d[1])
		}
	}
}

// A file's window is at least minChunk, and its device's read_ahead_kb
// where sysfs has it; a device sysfs does not know gets minChunk.
func TestWindowOf(t *testing.T) {
	st, err := os.Stat(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dev := uint64(st.Sys().(*syscall.Stat_t).Dev)
	w := windowOf(dev)
	if w < minChunk {
		t.Errorf("window %d, under %d", w, minChunk)
	}
	for _, queue := range []string{"queue", "../queue"} {
		path := fmt.Sprintf("/sys/dev/block/%d:%d/%s/read_ahead_kb", devMajor(dev), devMinor(dev), queue)
		if ra, err := readKB(path); err == nil {
			if w < ra {
				t.Errorf("window %d, under %s's %d", w, path, ra)
			}
			break
		}
	}
	if w := windowOf(1<<63 | 12345); w != minChunk {
		t.Errorf("an unknown device's window %d, want %d", w, minChunk)
	}
}
