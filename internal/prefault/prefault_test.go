package prefault

import (
	"bytes"
	"testing"
)

// Faulting in pages keeps what they hold, from any start.
func TestBytesKeepsContents(t *testing.T) {
	b := make([]byte, 3*From+123)
	for i := range b {
		b[i] = byte(i * 7)
	}
	want := bytes.Clone(b)
	for _, start := range []int{0, 1, 4095, 4097} {
		Bytes(b[start:])
		Slice([]uint32{1, 2, 3}) // small: nothing to do
		if !bytes.Equal(b, want) {
			t.Fatalf("from byte %d: the contents changed", start)
		}
	}
}
