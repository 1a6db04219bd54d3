// Tests of the run format: round trips, the exact bytes, the writer's
// buffering and errors, run files on disk, and benchmarks of reading
// and writing.

package runfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// KeyValue is one record, as the engine's Map emits them.
type KeyValue struct {
	Key   string
	Value string
}

// writeRecords writes records already sorted by key.
func writeRecords(kvs []KeyValue) func(*Writer) error {
	return func(w *Writer) error {
		for _, kv := range kvs {
			if err := w.Write(kv.Key, kv.Value); err != nil {
				return err
			}
		}
		return nil
	}
}

// encodeRun returns kvs in the run format.
func encodeRun(t testing.TB, kvs []KeyValue) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newWriter(&buf)
	for _, kv := range kvs {
		if err := w.Write(kv.Key, kv.Value); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if w.Count() != int64(len(kvs)) {
		t.Fatalf("Count = %d, want %d", w.Count(), len(kvs))
	}
	return buf.Bytes()
}

// decodeRun reads a whole run from r.
func decodeRun(r io.Reader, size int64) ([]KeyValue, error) {
	rr := NewReader(r, size)
	var kvs []KeyValue
	for rr.Next() {
		kvs = append(kvs, KeyValue{string(rr.Key()), string(rr.Value())})
	}
	if err := rr.Err(); err != nil {
		return kvs, err
	}
	if rr.records() != int64(len(kvs)) {
		return kvs, fmt.Errorf("Count = %d, read %d", rr.records(), len(kvs))
	}
	return kvs, nil
}

// sealRun turns body (header and records, no end marker) into a run with
// the given count and a valid CRC, so tests can build runs that only a
// structural check rejects.
func sealRun(body []byte, count uint64) []byte {
	return withTrailer(append(slices.Clone(body), 0), count)
}

// withTrailer appends count and a valid CRC to b.
func withTrailer(b []byte, count uint64) []byte {
	b = binary.LittleEndian.AppendUint64(b, count)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, table))
}

// wcRecords returns n sorted word-count-like records.
func wcRecords(n int, seed uint64) []KeyValue {
	rng := rand.New(rand.NewPCG(seed, 1))
	kvs := make([]KeyValue, n)
	for i := range kvs {
		word := make([]byte, 3+rng.IntN(8))
		for j := range word {
			word[j] = byte('a' + rng.IntN(26))
		}
		kvs[i] = KeyValue{string(word), "1"}
	}
	slices.SortFunc(kvs, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return kvs
}

var benchRecords = sync.OnceValue(func() []KeyValue { return wcRecords(1_000_000, 7) })

func TestRunRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		kvs  []KeyValue
	}{
		{"empty", nil},
		{"one", []KeyValue{{"a", "1"}}},
		{"empty key", []KeyValue{{"", "v"}}},
		{"empty value", []KeyValue{{"k", ""}}},
		{"empty both", []KeyValue{{"", ""}, {"", ""}}},
		{"binary", []KeyValue{{"\x00", "\x00\x00"}, {"\x00\xff\x80", "\xff\x00"}}},
		{"long key", []KeyValue{{strings.Repeat("k", 300), "v"}}},
		{"many", wcRecords(20000, 1)},
		{"1MiB value", []KeyValue{{"big", strings.Repeat("0123456789abcdef", 1<<16)}, {"z", "1"}}},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeRun(t, tt.kvs)
			checkWriteBytes(t, tt.kvs, data)
			for rname, wrap := range readers {
				for _, size := range []int64{int64(len(data)), -1} {
					got, err := decodeRun(wrap(bytes.NewReader(data)), size)
					if err != nil {
						t.Fatalf("%s, size %d: %v", rname, size, err)
					}
					if !kvsEqual(got, tt.kvs) {
						t.Fatalf("%s, size %d: records differ", rname, size)
					}
				}
			}
		})
	}
}

// checkWriteBytes checks that WriteBytes encodes kvs exactly as Write did.
func checkWriteBytes(t *testing.T, kvs []KeyValue, want []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := newWriter(&buf)
	for _, kv := range kvs {
		if err := w.WriteBytes([]byte(kv.Key), []byte(kv.Value)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("WriteBytes and Write encode differently")
	}
}

func kvsEqual(a, b []KeyValue) bool { return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b)) }

// TestRunFormat pins the byte layout.
func TestRunFormat(t *testing.T) {
	got := encodeRun(t, []KeyValue{{"ab", "1"}, {"", strings.Repeat("x", 200)}})
	want := []byte("MRR1\x03ab\x011\x01\xc8\x01" + strings.Repeat("x", 200) + "\x00")
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got %q\nwant %q", got, want)
	}
}

// referenceEncoding is the run format written out plainly, for checking
// the Writer's buffering.
func referenceEncoding(kvs []KeyValue) []byte {
	b := []byte(magic)
	for _, kv := range kvs {
		b = binary.AppendUvarint(b, uint64(len(kv.Key))+1)
		b = append(b, kv.Key...)
		b = binary.AppendUvarint(b, uint64(len(kv.Value)))
		b = append(b, kv.Value...)
	}
	return withTrailer(append(b, 0), uint64(len(kvs)))
}

// Records of every size, across the buffer's end, encode as written out
// plainly, through Write, WriteBytes and WriteRepeat.
func TestRunWriterBuffering(t *testing.T) {
	var kvs []KeyValue
	for i, n := range []int{0, 1, 127, 128, 5000, bufSize - 20, bufSize, bufSize + 3, 3 * bufSize, 60} {
		for j := 0; j < 3; j++ {
			kvs = append(kvs, KeyValue{strings.Repeat("k", n%300+j), strings.Repeat(string(rune('a'+i)), n)})
		}
	}
	want := referenceEncoding(kvs)
	if got := encodeRun(t, kvs); !bytes.Equal(got, want) {
		t.Fatal("Write differs from the reference encoding")
	}
	checkWriteBytes(t, kvs, want)
	var buf bytes.Buffer
	w := newWriter(&buf)
	for i := 0; i < len(kvs); i += 3 {
		if err := w.WriteRepeat(kvs[i].Key, kvs[i].Value, 1); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRepeat(kvs[i+1].Key, kvs[i+1].Value, 2); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var rep []KeyValue
	for i := 0; i < len(kvs); i += 3 {
		rep = append(rep, kvs[i], kvs[i+1], kvs[i+1])
	}
	if !bytes.Equal(buf.Bytes(), referenceEncoding(rep)) {
		t.Fatal("WriteRepeat differs from the reference encoding")
	}
	buf.Reset()
	w = newWriter(&buf)
	for i := 0; i < len(kvs); i += 3 {
		w.WriteRepeatBytes([]byte(kvs[i].Key), []byte(kvs[i].Value), 1)
		w.WriteRepeatBytes([]byte(kvs[i+1].Key), []byte(kvs[i+1].Value), 2)
	}
	w.Close()
	if !bytes.Equal(buf.Bytes(), referenceEncoding(rep)) {
		t.Fatal("WriteRepeatBytes differs from the reference encoding")
	}
}

// WriteRepeat writes as many records as asked, across many buffers.
func TestRunWriteRepeat(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100000} {
		var buf bytes.Buffer
		w := newWriter(&buf)
		w.Write("a", "x")
		if err := w.WriteRepeat("the", "1", n); err != nil {
			t.Fatal(err)
		}
		w.Write("z", "")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := []KeyValue{{"a", "x"}}
		for range n {
			want = append(want, KeyValue{"the", "1"})
		}
		want = append(want, KeyValue{"z", ""})
		if !bytes.Equal(buf.Bytes(), referenceEncoding(want)) || w.Count() != int64(n+2) {
			t.Fatalf("n=%d: WriteRepeat differs from n Writes (count %d)", n, w.Count())
		}
	}
	w := newWriter(&failWriter{n: 100})
	if err := w.WriteRepeat("k", "v", 100000); !errors.Is(err, errDiskFull) {
		t.Fatalf("WriteRepeat on a failing writer: %v", err)
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestRunWriterErrors(t *testing.T) {
	for _, tt := range []struct{ limit, records int }{{0, 20000}, {10, 20000}, {70 << 10, 20000}, {5, 10}, {110, 10}, {115, 10}} {
		w := newWriter(&failWriter{n: tt.limit})
		var err error
		for i := 0; i < tt.records && err == nil; i++ {
			err = w.Write("key", "value")
		}
		if cerr := w.Close(); !errors.Is(cerr, errDiskFull) || (err != nil && !errors.Is(err, errDiskFull)) {
			t.Errorf("%+v: Write err = %v, Close err = %v, want %v", tt, err, cerr, errDiskFull)
		}
	}
	w := newWriter(io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Write("a", "1"); !errors.Is(err, errClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
}

func TestRunWriterRecordTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	w := newWriter(io.Discard)
	big := make([]byte, maxRecord+1)
	if err := w.WriteBytes([]byte("k"), big); err == nil {
		t.Fatal("oversized value accepted")
	}
	if err := w.WriteBytes([]byte("k"), big[:maxRecord]); err != nil {
		t.Fatalf("value of maxRecord bytes: %v", err)
	}
}

func TestWriteRunFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mr-3-1")
	kvs := wcRecords(5000, 3)
	for range 2 { // the second write replaces the first
		info, err := WriteFile(path, writeRecords(kvs))
		if err != nil {
			t.Fatal(err)
		}
		fsize, fcrc, err := Checksum(path)
		if err != nil || fsize != info.Size || fcrc != info.CRC || info.Records != int64(len(kvs)) {
			t.Fatalf("WriteFile = %+v, Checksum = (%d, %08x, %v)", info, fsize, fcrc, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "mr-3-1" {
		t.Fatalf("directory holds %v (%v), want only mr-3-1", entries, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := decodeRun(f, -1)
	if err != nil || !kvsEqual(got, kvs) {
		t.Fatalf("reading back: %v", err)
	}
}

func TestWriteRunFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFile(filepath.Join(dir, "missing", "mr-0-0"), writeRecords(nil)); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
	// A directory in the way makes the rename fail after the temp file exists.
	path := filepath.Join(dir, "mr-0-0")
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFile(path, writeRecords([]KeyValue{{"a", "1"}})); err == nil {
		t.Fatal("WriteFile over a non-empty directory succeeded")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmps) != 0 {
		t.Fatalf("left behind %v", tmps)
	}
	if _, _, err := Checksum(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("Checksum of a missing file succeeded")
	}
}

// pairsFromBytes splits data into arbitrary key/value pairs: each field is a
// length byte followed by up to that many bytes.
func pairsFromBytes(data []byte) []KeyValue {
	var kvs []KeyValue
	field := func() string {
		if len(data) == 0 {
			return ""
		}
		n := min(int(data[0]), len(data)-1)
		s := string(data[1 : 1+n])
		data = data[1+n:]
		return s
	}
	for len(data) > 0 {
		kvs = append(kvs, KeyValue{field(), field()})
	}
	return kvs
}

func FuzzRunRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01a\x011"))
	f.Add([]byte("\x00\x00\x00\x00\x03\x00\xff\x80\x02zz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kvs := pairsFromBytes(data)
		enc := encodeRun(t, kvs)
		for _, size := range []int64{int64(len(enc)), -1} {
			got, err := decodeRun(iotest.OneByteReader(bytes.NewReader(enc)), size)
			if err != nil || !kvsEqual(got, kvs) {
				t.Fatalf("size %d: round trip failed: %v", size, err)
			}
		}
	})
}

func BenchmarkRunWrite(b *testing.B) {
	kvs := benchRecords()
	n := len(encodeRun(b, kvs))
	var buf bytes.Buffer
	buf.Grow(n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w := newWriter(&buf)
		for _, kv := range kvs {
			w.Write(kv.Key, kv.Value)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunRead(b *testing.B) {
	data := encodeRun(b, benchRecords())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rr := NewReader(bytes.NewReader(data), int64(len(data)))
		for rr.Next() {
		}
		if err := rr.Err(); err != nil || rr.records() != int64(len(benchRecords())) {
			b.Fatalf("read %d records: %v", rr.records(), err)
		}
	}
}

// WriteSpill's segment carries the CRC-32C of its bytes, in memory or in
// a file, for the upload to send without summing them again.
func TestWriteSpillSumsItsBytes(t *testing.T) {
	dir := t.TempDir()
	kvs := wcRecords(5000, 3)
	for _, limit := range []int{1 << 20, 0} { // in memory, then in a file
		seg, info, err := WriteSpill(filepath.Join(dir, fmt.Sprintf("out-%d", limit)), limit, func(w *Writer) error {
			for _, kv := range kvs {
				if err := w.Write(kv.Key, kv.Value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if (limit > 0) != (seg.Path == "") {
			t.Fatalf("limit %d: segment at %q", limit, seg.Path)
		}
		data := seg.Data
		if seg.Path != "" {
			if data, err = os.ReadFile(seg.Path); err != nil {
				t.Fatal(err)
			}
		}
		h := NewHash()
		h.Write(data)
		if !seg.Summed || seg.CRC != h.Sum32() || seg.Size != int64(len(data)) || info.CRC != seg.CRC {
			t.Fatalf("limit %d: segment summed %v, crc %08x, size %d; its %d bytes' crc %08x",
				limit, seg.Summed, seg.CRC, seg.Size, len(data), h.Sum32())
		}
	}
}
