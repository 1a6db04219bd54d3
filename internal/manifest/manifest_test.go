// Tests of scanning inputs, writing and reading manifests, names,
// block-checked copies and splits cut from a manifest, with a fuzzer
// of Read.

package manifest

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// text makes n bytes of lines of varied lengths, one of them long.
func text(n int, seed int64) []byte {
	r := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for b.Len() < n {
		l := r.Intn(80)
		if r.Intn(50) == 0 {
			l = 3000 // longer than a block
		}
		b.WriteString(strings.Repeat("x", l))
		b.WriteByte('\n')
	}
	return b.Bytes()[:n]
}

func scan(t *testing.T, data []byte, bs int64) File {
	t.Helper()
	f, err := Scan(bytes.NewReader(data), "in.txt", bs)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestScanLineStarts(t *testing.T) {
	data := text(20000, 1)
	f := scan(t, data, 512)
	if f.Size != int64(len(data)) || len(f.Sums) != Blocks(f.Size, 512) {
		t.Fatalf("size %d, %d sums", f.Size, len(f.Sums))
	}
	for b, ls := range f.Lines {
		want := int64(len(data))
		for i := int64(b) * 512; i < int64(len(data)); i++ {
			if i == 0 || data[i-1] == '\n' {
				want = i
				break
			}
		}
		if ls != want {
			t.Fatalf("block %d: line start %d, want %d", b, ls, want)
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	m := &Manifest{BlockSize: 512, Files: []File{scan(t, text(5000, 2), 512), scan(t, nil, 512)}}
	m.Files[1].Name = "empty file.txt"
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != 2 || got.Files[1].Name != "empty file.txt" || got.Files[0].Size != 5000 ||
		got.Files[0].Sums[3] != m.Files[0].Sums[3] || got.Files[0].Lines[5] != m.Files[0].Lines[5] {
		t.Fatalf("read back %+v", got.Files)
	}
	// One digit changed, or the last line gone: refused, never half used.
	damaged := bytes.Replace(buf.Bytes(), []byte("file 5000"), []byte("file 5001"), 1)
	if _, err := Read(bytes.NewReader(damaged)); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged manifest: %v", err)
	}
	cut := buf.Bytes()[:bytes.LastIndex(buf.Bytes(), []byte("sum "))]
	if _, err := Read(bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("manifest cut short: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", ".hidden", "a/b", "../etc/passwd", "a\nb", "a\x00b", strings.Repeat("n", 256)} {
		if CheckName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	for _, good := range []string{"pg-grimm.txt", "a b", "épée.txt"} {
		if err := CheckName(good); err != nil {
			t.Errorf("name %q: %v", good, err)
		}
	}
}

// A copy with one byte changed (same size: a stat cannot tell) is caught
// at the block holding it, and the rest is read from a good source.
func TestCopierOneByteChanged(t *testing.T) {
	data := text(10000, 3)
	f := scan(t, data, 1024)
	bad := bytes.Clone(data)
	bad[5000] ^= 1
	p := PieceOf(&f, 1024, 1500, 7000)
	var out bytes.Buffer
	c := NewCopier(p, &out)
	first, _ := c.Next()
	_, err := c.ReadBlocks(bytes.NewReader(bad[int64(first)*1024:]))
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "block 4") {
		t.Fatalf("changed copy: %v", err)
	}
	next, left := c.Next()
	if next != 4 || c.Finished() {
		t.Fatalf("after the mismatch: next block %d, %d left", next, left)
	}
	if _, err := c.ReadBlocks(bytes.NewReader(data[next*1024:])); err != nil {
		t.Fatal(err)
	}
	if !c.Finished() || !bytes.Equal(out.Bytes(), data[1500:8500]) || c.Done() != 7000 {
		t.Fatalf("copied %d bytes, want the piece's 7000", out.Len())
	}
	var short bytes.Buffer
	if _, err := NewCopier(p, &short).ReadBlocks(bytes.NewReader(data[1024:3000])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short source: %v", err)
	}
}

// Pieces cut from the manifest cover the file, end at line starts, and
// hold about the size asked for.
func TestCut(t *testing.T) {
	data := text(50000, 4)
	f := scan(t, data, 512)
	pieces := Cut(&f, 512, 4000) // rounded up to 8 blocks
	var at int64
	for _, p := range pieces {
		if p[0] != at || p[1] <= 0 || (p[0] > 0 && data[p[0]-1] != '\n') {
			t.Fatalf("piece %v after %d", p, at)
		}
		at = p[0] + p[1]
	}
	if at != int64(len(data)) || len(pieces) < 8 || len(pieces) > 13 {
		t.Fatalf("%d pieces end at %d of %d", len(pieces), at, len(data))
	}
	empty := scan(t, nil, 512)
	if p := Cut(&empty, 512, 4000); len(p) != 1 || p[0] != [2]int64{0, 0} {
		t.Fatalf("empty file cut into %v", p)
	}
}

// FuzzRead: whatever the bytes, Read returns a manifest that holds
// together, or an error; never a panic. A manifest read, written and
// read again is the same.
func FuzzRead(f *testing.F) {
	m := &Manifest{BlockSize: 512, Files: []File{}}
	for i, d := range [][]byte{text(3000, 5), nil, []byte("no newline at all")} {
		mf, _ := Scan(bytes.NewReader(d), "f"+strings.Repeat("x", i)+".txt", 512)
		m.Files = append(m.Files, mf)
	}
	var good bytes.Buffer
	m.Write(&good)
	f.Add(good.Bytes())
	f.Add([]byte("mrmanifest 1\nblock-size 512\nsum 00000000\n"))
	f.Add([]byte("mrmanifest 1\nblock-size 512\nfile 99999999999 x\nsum 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := got.Check(); err != nil {
			t.Fatalf("Read accepted a manifest that does not hold: %v", err)
		}
		var again bytes.Buffer
		got.Write(&again)
		back, err := Read(&again)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("written and read again: %+v, %v; was %+v", back, err, got)
		}
	})
}

// Cut leaves no tiny last piece, as input.Tasks does not: a file a
// tenth over a piece is one piece; a fifth over, two.
func TestCutJoinsATinyLastPiece(t *testing.T) {
	for _, c := range []struct {
		size int
		want int
	}{{4096 + 400, 1}, {4096 + 800, 2}, {3*4096 + 300, 3}} {
		data := bytes.Repeat([]byte("abc\n"), c.size/4)
		f := scan(t, data, 512)
		if pieces := Cut(&f, 512, 4096); len(pieces) != c.want {
			t.Errorf("%d bytes cut into %v, want %d pieces", len(data), pieces, c.want)
		}
	}
}
