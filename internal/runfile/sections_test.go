// Tests of sections files: round trips, broken runs refused by VerifyCopy,
// and files that hold no sections.

package runfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestSectionsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-3.a1")
	parts := [][]KeyValue{
		{{"a", "1"}, {"b", "2"}},
		nil, // an empty partition is an empty run
		{{"c", "3"}},
		wcRecords(3000, 1),
	}
	infos, err := WriteSections(path, len(parts), func(r int, w *Writer) error { return writeRecords(parts[r])(w) })
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	for r, kvs := range parts {
		runs, err := Runs(f, st.Size(), r)
		if err != nil || len(runs) != 1 || runs[0].Size != infos[r].Size {
			t.Fatalf("section %d: %+v (%v), info %+v", r, runs, err, infos[r])
		}
		off, size := runs[0].Off, runs[0].Size
		raw := make([]byte, size)
		f.ReadAt(raw, off)
		var copied bytes.Buffer
		if ext, err := VerifyCopy(&copied, bytes.NewReader(raw), size); err != nil || !bytes.Equal(copied.Bytes(), raw) ||
			len(ext) != 1 || ext[0] != (Extent{0, size}) {
			t.Fatalf("section %d: VerifyCopy: %+v, %v", r, ext, err)
		}
		got, err := decodeRun(bytes.NewReader(raw), size)
		if err != nil || !kvsEqual(got, kvs) {
			t.Fatalf("section %d decodes to %d records (%v), want %d", r, len(got), err, len(kvs))
		}
	}
	for _, r := range []int{-1, len(parts)} {
		if _, err := Runs(f, st.Size(), r); !errors.Is(err, errNoSection) {
			t.Errorf("Runs(%d): %v, want errNoSection", r, err)
		}
	}
}

func TestVerifyCopyRefusesBrokenRuns(t *testing.T) {
	good := encodeRun(t, []KeyValue{{"a", "1"}, {"b", "2"}})
	tests := map[string]struct {
		data []byte
		size int64
	}{
		"bit flip":      {flip(good, len(good)/2), int64(len(good))},
		"crc flip":      {flip(good, len(good)-1), int64(len(good))},
		"bad magic":     {flip(good, 0), int64(len(good))},
		"truncated":     {good[:len(good)-3], int64(len(good))},
		"too short":     {good[:5], 5},
		"another's crc": {append(append([]byte{}, good[:len(good)-4]...), 1, 2, 3, 4), int64(len(good))},
	}
	for name, tt := range tests {
		if _, err := VerifyCopy(&bytes.Buffer{}, bytes.NewReader(tt.data), tt.size); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestSectionRefusesNonSectionFiles(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("short"), []byte("0123456789abcdef"), append(make([]byte, 8), 0xff, 0xff, 0, 0, 'M', 'R', 'S', '1')} {
		if _, err := Runs(bytes.NewReader(data), int64(len(data)), 0); !errors.Is(err, errNoSection) {
			t.Errorf("%q: err = %v, want errNoSection", fmt.Sprint(data), err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}
