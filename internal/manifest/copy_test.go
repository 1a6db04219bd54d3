// Tests of a copy read straight into memory, and of a copy's identity.

package manifest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every piece, aligned to blocks or not, a whole small file or the last
// short block, reads the bytes it covers; a byte changed in any block it
// covers, first, middle or last, is caught there, and so is a short copy.
func TestReadIntoEveryPieceAndEveryDamage(t *testing.T) {
	const bs = 1024
	data := text(10000, 4) // 9 whole blocks and a short one
	f := scan(t, data, bs)
	for _, c := range [][2]int64{{0, 10000}, {0, 1024}, {1024, 2048}, {1500, 7000}, {1500, 100}, {9999, 1}, {9300, 700}, {3, 1}} {
		p := PieceOf(&f, bs, c[0], c[1])
		dst := make([]byte, c[1])
		if err := ReadInto(dst, bytes.NewReader(data), p); err != nil || !bytes.Equal(dst, data[c[0]:c[0]+c[1]]) {
			t.Fatalf("piece %v: %v, or other bytes", c, err)
		}
		first, n := Cover(c[0], c[1], bs)
		for _, k := range []int{first, first + n/2, first + n - 1} {
			bad := bytes.Clone(data)
			bad[int64(k)*bs+int64(k*37)%min(bs, f.Size-int64(k)*bs)] ^= 0x20
			err := ReadInto(dst, bytes.NewReader(bad), p)
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "block "+strconv.Itoa(k)+" ") {
				t.Fatalf("piece %v, block %d changed: %v", c, k, err)
			}
		}
		if err := ReadInto(dst, bytes.NewReader(data[:c[0]+c[1]-1]), p); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("piece %v from a copy one byte short: %v", c, err)
		}
	}
	small := scan(t, []byte("one small file\n"), bs)
	dst := make([]byte, 15)
	if err := ReadInto(dst, strings.NewReader("one small file\n"), PieceOf(&small, bs, 0, 15)); err != nil || string(dst) != "one small file\n" {
		t.Fatalf("a file smaller than a block: %v, %q", err, dst)
	}
}

// A piece that does not fit its input, its checksums or its destination
// is refused, never read out of bounds.
func TestReadIntoRefusesWhatDoesNotFit(t *testing.T) {
	data := text(4000, 5)
	f := scan(t, data, 1024)
	good := PieceOf(&f, 1024, 100, 2000)
	for name, p := range map[string]Piece{
		"no block size":     {Size: 4000, Sums: good.Sums, BS: 0, Off: 100, Len: 2000},
		"a checksum short":  {Size: 4000, Sums: good.Sums[1:], BS: 1024, Off: 100, Len: 2000},
		"past the input":    {Size: 2000, Sums: good.Sums, BS: 1024, Off: 100, Len: 2000},
		"a negative offset": {Size: 4000, Sums: good.Sums, BS: 1024, Off: -100, Len: 2000},
	} {
		if err := ReadInto(make([]byte, 2000), bytes.NewReader(data), p); err == nil {
			t.Errorf("%s: read", name)
		}
	}
	if err := ReadInto(make([]byte, 1999), bytes.NewReader(data), good); err == nil {
		t.Error("read into a destination a byte short")
	}
}

// A copy opens only while it is the file that was listed: not once
// written to, even with its time set back, nor once replaced by a link.
// (A write that keeps the size is told by the change time, which moves
// with the kernel's clock tick: not something a test can make happen.)
func TestOpenCopyOnlyTheFileListed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(path, []byte("alpha\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	key := KeyOf(st)
	f, err := OpenCopy(path, key)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(path, []byte("alpha beta\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, st.ModTime(), st.ModTime())
	if f, err := OpenCopy(path, key); err == nil || !strings.Contains(err.Error(), "changed since") {
		f.Close()
		t.Fatalf("a copy written to since it was listed opened: %v", err)
	}
	other := filepath.Join(dir, "b.txt")
	os.WriteFile(other, []byte("alpha\n"), 0o644)
	os.Remove(path)
	os.Symlink(other, path)
	if f, err := OpenCopy(path, key); err == nil {
		f.Close()
		t.Fatal("a link in the copy's place opened")
	}
}
