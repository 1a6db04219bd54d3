// Tests of write-behind: a file written through WritingBack holds what
// was written, where it was written, from several writers at once; a
// failed write's error comes back. (That the disk's work starts early is
// a matter of time, measured by the benchmark, not asserted here.)

package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWritingBackWritesAtOffsets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-all")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	const pieces, size = 4, 300 << 10 // larger than a page, not a multiple of one
	want := make([]byte, pieces*size)
	for i := range want {
		want[i] = byte('a' + i%23)
	}
	w := WritingBack(f.File)
	var wg sync.WaitGroup
	for p := pieces - 1; p >= 0; p-- { // from the end: each write past the last
		wg.Go(func() {
			for off := p * size; off < (p+1)*size; off += 64 << 10 {
				end := min(off+64<<10, (p+1)*size)
				if n, err := w.WriteAt(want[off:end], int64(off)); n != end-off || err != nil {
					t.Errorf("WriteAt at %d: %d, %v", off, n, err)
				}
			}
		})
	}
	wg.Wait()
	StartWriteback(f.File, 0, 0)
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file differs from what was written (%d bytes, want %d)", len(got), len(want))
	}
	if _, err := w.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("WriteAt on a closed file: no error")
	}
}
