// Tests of text runs: a run's text and its lengths file read back as its
// records, merged with runs, and corruption of either found.

package runfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// textSegment writes kvs, sorted, as the coordinator keeps a large output:
// its text at dir/text-i and its lengths file beside it.
func textSegment(t testing.TB, dir string, i int, kvs []KeyValue) Segment {
	t.Helper()
	data := encodeRun(t, kvs)
	text, lens := filepath.Join(dir, fmt.Sprintf("text-%d", i)), filepath.Join(dir, fmt.Sprintf("lens-%d", i))
	tf, err := os.Create(text)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	lf, err := os.Create(lens)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	h := NewHash()
	lw := NewLensWriter(lf)
	if err := WriteTextStream(bytes.NewReader(data), int64(len(data)), io.MultiWriter(tf, h), lw); err != nil {
		t.Fatal(err)
	}
	if err := lw.Finish(h.Sum32()); err != nil {
		t.Fatal(err)
	}
	return Segment{Path: text, Size: -1, Lens: lens}
}

// textRunBytes returns the text and the lengths file of a text run of kvs.
func textRunBytes(t testing.TB, kvs []KeyValue) (text, lens []byte) {
	t.Helper()
	seg := textSegment(t, t.TempDir(), 0, kvs)
	text, err := os.ReadFile(seg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if lens, err = os.ReadFile(seg.Lens); err != nil {
		t.Fatal(err)
	}
	return text, lens
}

// awkwardRecords are sorted records whose text alone could not be split:
// spaces in keys, newlines in values, empty keys and values, a value
// larger than a buffer.
func awkwardRecords(rng *rand.Rand, n int) []KeyValue {
	kvs := []KeyValue{{"", ""}, {"", "v"}, {" ", "\n"}, {"a b", "c d\ne"}, {"a b", ""}, {"big", strings.Repeat("x\n ", 40_000)}}
	for range n {
		kvs = append(kvs, KeyValue{fmt.Sprintf("k %d\n", rng.IntN(n)), fmt.Sprint(rng.IntN(100))})
	}
	return referenceMerge([][]KeyValue{kvs})
}

func TestTextRunReadsBackItsRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 5000} {
		kvs := awkwardRecords(rng, n)
		if n == 0 {
			kvs = nil
		}
		seg := textSegment(t, t.TempDir(), 0, kvs)
		runs, closeAll, err := OpenSegments([]Segment{sized(t, []Segment{seg})[0]})
		if err != nil {
			t.Fatal(err)
		}
		got, err := drain(NewMerger(runs))
		closeAll()
		if err != nil || len(got) != len(kvs) {
			t.Fatalf("%d records: read %d (%v)", len(kvs), len(got), err)
		}
		for i := range got {
			if got[i] != kvs[i] {
				t.Fatalf("record %d: %q, want %q", i, got[i], kvs[i])
			}
		}
	}
}

// A text run read in pieces of 1 to 40 bytes, so that its buffer is
// refilled anywhere in a record (between a value and its newline too),
// gives back its records: the fields read in place in the buffer are
// kept when its bytes move.
func TestTextRunReadInPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	kvs := awkwardRecords(rng, 200) // one value larger than a buffer
	text, lens := textRunBytes(t, kvs)
	for n := 1; n <= 40; n++ {
		r := NewTextReader(chunkReader{bytes.NewReader(text), n}, int64(len(text)), bytes.NewReader(lens))
		j := 0
		for ; r.Next(); j++ {
			if j >= len(kvs) || string(r.Key()) != kvs[j].Key || string(r.Value()) != kvs[j].Value {
				t.Fatalf("reads of %d bytes: record %d = %q %q", n, j, r.Key(), r.Value())
			}
		}
		if r.Err() != nil || j != len(kvs) {
			t.Fatalf("reads of %d bytes: %d records of %d: %v", n, j, len(kvs), r.Err())
		}
	}
}

// The final merge over text runs, runs in files and runs in memory writes
// what one merge of the runs writes, in ranges or not.
func TestMergeTextRangesOverTextRuns(t *testing.T) {
	smallRanges(t)
	rng := rand.New(rand.NewPCG(23, 24))
	runs := rangesCase(rng, 6, int(3*rangesFrom), func() string { return fmt.Sprintf("k %x", rng.Uint32()) })
	dir := t.TempDir()
	segs := segmentsOf(t, dir, runs)
	for i := 0; i < len(segs); i += 3 {
		segs[i] = textSegment(t, dir, i, runs[i])
	}
	var want bytes.Buffer
	for _, kv := range referenceMerge(runs) {
		fmt.Fprintf(&want, "%s %s\n", kv.Key, kv.Value)
	}
	for pieces := 1; pieces <= 4; pieces++ {
		got, err := mergedInRanges(t, segs, pieces)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%d pieces: %d bytes (%v), want one merge's %d", pieces, len(got), err, want.Len())
		}
	}
}

// A text run whose text or lengths changed, lost their end or gained a
// byte fails the merge as corrupt.
func TestTextRunCorruption(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	kvs := awkwardRecords(rng, 2000)
	for _, c := range []struct {
		name string
		file func(Segment) string
		edit func([]byte) []byte
	}{
		{"text byte", text, func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
		{"text separator", text, func(b []byte) []byte { b[bytes.IndexByte(b, ' ')] = '_'; return b }},
		{"text truncated", text, func(b []byte) []byte { return b[:len(b)-1] }},
		{"text trailing byte", text, func(b []byte) []byte { return append(b, 'x') }},
		{"lengths byte", lens, func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
		{"lengths truncated", lens, func(b []byte) []byte { return b[:len(b)-3] }},
		{"lengths trailing byte", lens, func(b []byte) []byte { return append(b, 0) }},
		{"lengths crc", lens, func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }},
	} {
		t.Run(c.name, func(t *testing.T) {
			seg := textSegment(t, t.TempDir(), 0, kvs)
			p := c.file(seg)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, c.edit(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := mergedInRanges(t, []Segment{seg}, 1); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func text(s Segment) string { return s.Path }
func lens(s Segment) string { return s.Lens }

// CheckLens returns the text's CRC from an intact lengths file, and fails
// on a damaged one.
func TestCheckLens(t *testing.T) {
	kvs := awkwardRecords(rand.New(rand.NewPCG(27, 28)), 100)
	seg := textSegment(t, t.TempDir(), 0, kvs)
	_, want, err := Checksum(seg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := CheckLens(seg.Lens); err != nil || got != want {
		t.Fatalf("CheckLens = %08x, %v; want the text's crc %08x", got, err, want)
	}
	b, _ := os.ReadFile(seg.Lens)
	b[3] ^= 1
	os.WriteFile(seg.Lens, b, 0o644)
	if _, err := CheckLens(seg.Lens); err == nil {
		t.Fatal("CheckLens of a damaged file: no error")
	}
}

// countedLines returns n records of random lines of 20 to 100 bytes
// (spaces among them), each with the value "1", as uniq's.
func countedLines(rng *rand.Rand, n int) []KeyValue {
	kvs := make([]KeyValue, n)
	for j := range kvs {
		line := make([]byte, 20+rng.IntN(81))
		for k := range line {
			line[k] = "abcdefghij klmnopqrst uvwxyz ,.ABC"[rng.IntN(34)]
		}
		kvs[j] = KeyValue{string(line), "1"}
	}
	return kvs
}

// BenchmarkMergeText is the coordinator's final merge of a job whose keys
// are lines (uniq's): 10 text runs of 20,000 distinct lines of 20 to 100
// bytes each, counted once, merged into their text.
func BenchmarkMergeText(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := b.TempDir()
	var segs []Segment
	var total int64
	for i := range 10 {
		segs = append(segs, textSegment(b, dir, i, referenceMerge([][]KeyValue{countedLines(rng, 20_000)})))
		st, err := os.Stat(segs[i].Path)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		if err := MergeTextSegments(slices.Clone(segs), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTextStream is the coordinator's intake of a reduce output
// of a job whose keys are lines (uniq's): one run of 200,000 distinct
// lines of 20 to 100 bytes, each counted once, turned into its text and
// lengths as it is read.
func BenchmarkWriteTextStream(b *testing.B) {
	data := encodeRun(b, referenceMerge([][]KeyValue{countedLines(rand.New(rand.NewPCG(7, 8)), 200_000)}))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		lw := NewLensWriter(io.Discard)
		if err := WriteTextStream(bytes.NewReader(data), int64(len(data)), io.Discard, lw); err != nil {
			b.Fatal(err)
		}
		if err := lw.Finish(0); err != nil {
			b.Fatal(err)
		}
	}
}
