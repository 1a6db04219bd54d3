// Tests of the writer that writes its buffers from a goroutine of its own.

package runfile

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// Whatever the sizes of the writes, the bytes arrive whole and in order.
func TestAheadWriterKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{}).Read(pool)
	for _, size := range []int{1, 7, 512, 4096} {
		var got, want bytes.Buffer
		a := newAheadWriter(&got, size)
		for range 500 {
			off := rng.IntN(len(pool) / 2)
			p := pool[off : off+rng.IntN(min(3*size+2, len(pool)/2))]
			a.Write(p)
			want.Write(p)
			c := byte(rng.Uint32())
			a.WriteByte(c)
			want.WriteByte(c)
		}
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("buffers of %d: %d bytes written, want %d, or not the same", size, got.Len(), want.Len())
		}
	}
}

// Both of writeText's writers write each line whole and in order, lines
// that fit what is left of a buffer and lines that do not.
func TestTextWritersWriteLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pool := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{1}).Read(pool)
	piece := func(max int) []byte {
		off := rng.IntN(len(pool) / 2)
		return pool[off : off+rng.IntN(min(max, len(pool)/2))]
	}
	for _, size := range []int{16, 512, 4096} {
		var gotAhead, gotBuffered, want bytes.Buffer
		writers := []textWriter{newAheadWriter(&gotAhead, size), bufferedLines{bufio.NewWriterSize(&gotBuffered, size)}}
		for range 500 {
			key, value := piece(2*size), piece(size/2+2)
			for _, w := range writers {
				w.WriteLine(key, value)
			}
			want.Write(key)
			want.WriteByte(' ')
			want.Write(value)
			want.WriteByte('\n')
		}
		for i, w := range writers {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := []*bytes.Buffer{&gotAhead, &gotBuffered}[i]; !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("writer %d, buffers of %d: %d bytes written, want %d, or not the same", i, size, got.Len(), want.Len())
			}
		}
	}
}

// failAfter fails every write after its first n bytes.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A failed write is Flush's error, and writing on after it neither
// blocks nor panics.
func TestAheadWriterReportsAFailedWrite(t *testing.T) {
	a := newAheadWriter(&failAfter{n: 1000}, 256)
	for range 100 {
		a.Write(make([]byte, 100))
	}
	if err := a.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want the write's error", err)
	}
}
