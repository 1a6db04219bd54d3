// Tests of decoding hostile and broken runs: every corruption is an
// error, never a panic, a hang or a huge allocation.

package runfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// checkCorrupt asserts that data fails to decode with every size mode.
func checkCorrupt(t *testing.T, data []byte, sizes ...int64) {
	t.Helper()
	for _, size := range append(sizes, int64(len(data)), -1) {
		_, err := decodeRun(bytes.NewReader(data), size)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("size %d: err = %v, want ErrCorrupt\ndata %q", size, err, data)
		}
	}
}

func TestRunCorruptBitFlips(t *testing.T) {
	data := encodeRun(t, []KeyValue{{"a", "1"}, {"bb", ""}, {"", "\x00z"}, {"c", "1"}})
	for i := range data {
		for bit := range 8 {
			bad := slices.Clone(data)
			bad[i] ^= 1 << bit
			checkCorrupt(t, bad)
		}
		bad := slices.Clone(data)
		bad[i] ^= 0xff
		checkCorrupt(t, bad)
	}
}

func TestRunCorruptTruncated(t *testing.T) {
	data := encodeRun(t, []KeyValue{{"a", "1"}, {"bb", strings.Repeat("v", 130)}, {"c", "1"}})
	for n := range data {
		// Also with the caller believing the full size.
		checkCorrupt(t, data[:n], int64(len(data)))
	}
}

func TestRunCorruptTrailingByte(t *testing.T) {
	data := encodeRun(t, []KeyValue{{"a", "1"}})
	checkCorrupt(t, append(slices.Clone(data), 0), int64(len(data)))
	checkCorrupt(t, append(encodeRun(t, nil), 0), minLen)
}

func TestRunCorruptCases(t *testing.T) {
	varint := func(v uint64) string { return string(binary.AppendUvarint(nil, v)) }
	tests := []struct {
		name string
		data []byte
	}{
		{"empty stream", nil},
		{"bad magic", sealRun([]byte("MRR2"), 0)},
		{"count too high", sealRun([]byte("MRR1\x02a\x011"), 2)},
		{"count too low", sealRun([]byte("MRR1\x02a\x011"), 0)},
		{"overlong varint", sealRun([]byte("MRR1\x82\x00a\x011"), 1)},
		{"overlong end marker", withTrailer([]byte("MRR1\x80\x00"), 0)},
		{"varint overflow", sealRun([]byte("MRR1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), 1)},
		{"huge key length", sealRun([]byte("MRR1"+varint(1<<62)+"a\x00"), 1)},
		{"huge value length", sealRun([]byte("MRR1\x02a"+varint(1<<40)+"x"), 1)},
		{"key length past end", sealRun([]byte("MRR1\x10a\x00"), 1)},
		{"missing trailer", []byte("MRR1\x02a\x011\x00")},
		{"header only", []byte("MRR1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCorrupt(t, tt.data) })
	}
}

func TestRunSizeMismatch(t *testing.T) {
	data := encodeRun(t, []KeyValue{{"a", "1"}})
	for _, size := range []int64{0, minLen - 1, int64(len(data)) - 1, int64(len(data)) + 1, 1 << 40} {
		_, err := decodeRun(bytes.NewReader(data), size)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("size %d: err = %v, want ErrCorrupt", size, err)
		}
	}
}

func TestRunErrorMessage(t *testing.T) {
	data := sealRun([]byte("MRR1\x02a\x011\x02b\x7f"), 2)
	_, err := decodeRun(bytes.NewReader(data), int64(len(data)))
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want a *CorruptError matching ErrCorrupt", err)
	}
	if ce.Where != "record 1" || ce.Reason != "value length 127 exceeds remaining 0 bytes" || ce.Err != nil {
		t.Fatalf("CorruptError = %+v, want record 1, value length 127 exceeds remaining 0 bytes", ce)
	}
}

// allocatedBy returns the bytes allocated on the heap while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestRunHugeLengthNoHugeAlloc(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		size int64
	}{
		{"known size", []byte("MRR1" + string(binary.AppendUvarint(nil, 1<<40)) + "abc"), 1 << 20},
		{"unknown size over cap", []byte("MRR1" + string(binary.AppendUvarint(nil, 1<<40)) + "abc"), -1},
		{"unknown size under cap", []byte("MRR1" + string(binary.AppendUvarint(nil, 60<<20)) + "abc"), -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocatedBy(func() { _, err = decodeRun(bytes.NewReader(tt.data), tt.size) })
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if n > 4<<20 {
				t.Fatalf("allocated %d bytes decoding %d", n, len(tt.data))
			}
		})
	}
}

func TestRunReaderSourceError(t *testing.T) {
	boom := errors.New("connection reset")
	data := encodeRun(t, []KeyValue{{"a", "1"}, {"b", "2"}})
	r := io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(boom))
	_, err := decodeRun(r, int64(len(data)))
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want ErrCorrupt wrapping %v", err, boom)
	}
}

func TestRunReaderStopsAfterEnd(t *testing.T) {
	rr := NewReader(bytes.NewReader(encodeRun(t, []KeyValue{{"a", "1"}})), -1)
	for range 3 {
		rr.Next()
	}
	if rr.Next() || rr.Err() != nil || rr.records() != 1 {
		t.Fatalf("after end: Err = %v, Count = %d", rr.Err(), rr.records())
	}
}

// A length past the writer's cap is refused on read before anything is
// allocated, even when the announced size would allow it.
func TestRunReaderCapsRecords(t *testing.T) {
	data := binary.AppendUvarint([]byte("MRR1\x02k"), maxRecord+1)
	_, err := decodeRun(bytes.NewReader(data), 1<<40)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Where != "record 0" {
		t.Fatalf("err = %v, want a corrupt record 0", err)
	}
}

func FuzzRunReader(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("MRR1"))
	f.Add(encodeRun(f, nil))
	f.Add(encodeRun(f, []KeyValue{{"a", "1"}, {"b", ""}, {"", "x"}}))
	f.Add(encodeRun(f, []KeyValue{{strings.Repeat("k", 200), strings.Repeat("v", 300)}}))
	f.Add(sealRun([]byte("MRR1\x82\x00a\x011"), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		known, errKnown := decodeRun(bytes.NewReader(data), int64(len(data)))
		unknown, errUnknown := decodeRun(iotest.HalfReader(bytes.NewReader(data)), -1)
		if (errKnown == nil) != (errUnknown == nil) {
			t.Fatalf("size known: %v; unknown: %v", errKnown, errUnknown)
		}
		for _, err := range []error{errKnown, errUnknown} {
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		}
		if errKnown != nil {
			return
		}
		if !kvsEqual(known, unknown) {
			t.Fatal("size modes decode differently")
		}
		if again := encodeRun(t, known); !bytes.Equal(again, data) {
			t.Fatalf("clean decode re-encodes differently\n got %q\nwant %q", again, data)
		}
	})
}

// stuckReader returns no data and no error, forever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestRunReaderNoProgress(t *testing.T) {
	_, err := decodeRun(stuckReader{}, -1)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v, want ErrCorrupt wrapping io.ErrNoProgress", err)
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// A key read in place in the buffer is kept, when the buffer's bytes
// move, for SameKey to compare the next key with: SameKey is never true
// for a key that differs from the last, whatever the reads' sizes, and
// true for a repeat read whole from the buffer.
func TestReaderSameKeyAcrossRefills(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var kvs []KeyValue
	for i := 0; len(kvs) < 3000; i++ {
		key := fmt.Sprintf("key%05d", i)
		for range 1 + rng.IntN(3) {
			kvs = append(kvs, KeyValue{key, "v"})
		}
	}
	data := encodeRun(t, kvs)
	for n := 1; n <= 40; n++ {
		r := NewReader(chunkReader{bytes.NewReader(data), n}, int64(len(data)))
		same := 0
		for j := 0; r.Next(); j++ {
			if string(r.Key()) != kvs[j].Key || string(r.Value()) != kvs[j].Value {
				t.Fatalf("reads of %d bytes: record %d = %q %q, want %q %q", n, j, r.Key(), r.Value(), kvs[j].Key, kvs[j].Value)
			}
			repeat := j > 0 && kvs[j].Key == kvs[j-1].Key
			if r.SameKey() && !repeat {
				t.Fatalf("reads of %d bytes: record %d, key %q after %q: SameKey", n, j, kvs[j].Key, kvs[j-1].Key)
			}
			if r.SameKey() {
				same++
			}
		}
		if r.Err() != nil {
			t.Fatalf("reads of %d bytes: %v", n, r.Err())
		}
		if n >= 20 && same == 0 {
			t.Fatalf("reads of %d bytes: no repeat seen as one", n)
		}
	}
}

// A record read whole from the buffer (nextBuffered, lineBuffered) is read
// as field by field: runs and text runs with keys and values around the
// one-byte lengths' bound, damaged at random (a byte or a separator
// changed, the end cut or lengthened), read in pieces of random sizes
// with their size known or not, give the same records and the same error
// either way; taken in as text (WriteTextStream), the same text, lengths
// and error.
func TestReadInPlaceAsFieldByField(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	field := func() string { return strings.Repeat(string(rune('a'+rng.IntN(3))), rng.IntN(140)) }
	var kvs []KeyValue
	for range 200 {
		kvs = append(kvs, KeyValue{field(), field()})
	}
	kvs = referenceMerge([][]KeyValue{kvs})
	data := encodeRun(t, kvs)
	text, lens := textRunBytes(t, kvs)
	damage := func(b []byte) []byte {
		b = slices.Clone(b)
		switch i := rng.IntN(len(b)); rng.IntN(5) {
		case 4: // a text's separator, where the lengths say one is
			if j := bytes.IndexAny(b[i:], " \n"); j >= 0 {
				b[i+j] = 'a'
			}
		case 0:
			b[i] = []byte{0, 0x7f, 0x80, ' ', '\n', 'a'}[rng.IntN(6)]
		case 1:
			b[i] ^= 1 << rng.IntN(8)
		case 2:
			b = b[:i]
		default:
			b = append(b, 'a')
		}
		return b
	}
	read := func(inPlace bool, r func() *Reader) (string, int) {
		readInPlace = inPlace
		defer func() { readInPlace = true }()
		rr, n := r(), 0
		var got []byte
		for rr.Next() {
			got = binary.AppendUvarint(append(got, rr.Key()...), uint64(len(rr.Key())))
			got = binary.AppendUvarint(append(got, rr.Value()...), uint64(len(rr.Value())))
			got = strconv.AppendBool(got, rr.SameKey())
			n++
		}
		return fmt.Sprintf("%d records, %q: %v", n, got, rr.Err()), n
	}
	// The same run taken in as text (WriteTextStream's convertRun, reading
	// in place or field by field): the same text, lengths and error.
	convert := func(inPlace bool, d []byte, piece int, size int64) string {
		readInPlace = inPlace
		defer func() { readInPlace = true }()
		var txt, lns bytes.Buffer
		lw := NewLensWriter(&lns)
		err := WriteTextStream(chunkReader{bytes.NewReader(d), piece}, size, &txt, lw)
		if err == nil {
			err = lw.Finish(0)
		}
		return fmt.Sprintf("%q, lengths %q: %v", txt.Bytes(), lns.Bytes(), err)
	}
	clean := 0
	for i := range 100 {
		d, txt, lns := data, text, lens
		switch i % 3 {
		case 1:
			d, txt = damage(data), damage(text)
		case 2:
			lns = damage(lens)
		}
		piece := 1 + rng.IntN(200)
		if rng.IntN(2) == 0 {
			piece = bufSize // records whole in the buffer, most of them
		}
		for _, known := range []bool{true, false} {
			size, tsize := int64(len(d)), int64(len(txt))
			if !known {
				size, tsize = -1, -1
			}
			if got, want := convert(true, d, piece, size), convert(false, d, piece, size); got != want {
				t.Fatalf("case %d, pieces of %d, size known %v: taken in as text in place\n%s\nfield by field\n%s", i, piece, known, got, want)
			}
			for _, r := range []func() *Reader{
				func() *Reader { return NewReader(chunkReader{bytes.NewReader(d), piece}, size) },
				func() *Reader {
					return NewTextReader(chunkReader{bytes.NewReader(txt), piece}, tsize, bytes.NewReader(lns))
				},
			} {
				want, n := read(false, r)
				if got, _ := read(true, r); got != want {
					t.Fatalf("case %d, pieces of %d, size known %v: read in place\n%s\nfield by field\n%s", i, piece, known, got, want)
				}
				if n == len(kvs) && strings.HasSuffix(want, ": <nil>") {
					clean++
				}
			}
		}
	}
	if clean < 130 {
		t.Fatalf("%d clean reads of 400: the damage spared too few", clean)
	}
}
