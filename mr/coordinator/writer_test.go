// writer_test.go: the asyncWriter writes every byte in order and reports
// its writer's first error.

package coordinator

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// An asyncWriter writes every byte, in order, whatever the sizes of the
// writes against its buffers'.
func TestAsyncWriterWritesInOrder(t *testing.T) {
	var out bytes.Buffer
	a := newAsyncWriter(&out, 7, 3)
	var want strings.Builder
	for i := range 200 {
		p := strings.Repeat(string(rune('a'+i%26)), i%19)
		want.WriteString(p)
		if n, err := a.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := a.Close(); err != nil || out.String() != want.String() {
		t.Fatalf("Close = %v; %d bytes written, want %d", err, out.Len(), want.Len())
	}
}

// failing fails every write.
type failing struct{ err error }

func (f failing) Write([]byte) (int, error) { return 0, f.err }

// The first error of the underlying writer comes back from Close; the
// writes before it do not block.
func TestAsyncWriterReturnsTheFirstError(t *testing.T) {
	bad := errors.New("disk full")
	a := newAsyncWriter(failing{bad}, 4, 2)
	for range 100 {
		a.Write([]byte("0123456789"))
	}
	if err := a.Close(); !errors.Is(err, bad) {
		t.Fatalf("Close = %v, want %v", err, bad)
	}
}
