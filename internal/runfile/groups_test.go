// Tests of grouped sections files and run lists: round trips, lists sent
// as a server sends them, and broken lists and indexes refused.

package runfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// writeGroups writes groups[k][r] as run r of group k and publishes the
// file; it returns its path.
func writeGroups(t *testing.T, groups [][][]KeyValue) string {
	t.Helper()
	dir := t.TempDir()
	g, err := CreateGroups(filepath.Join(dir, "spill"), len(groups[0]))
	if err != nil {
		t.Fatal(err)
	}
	for k, parts := range groups {
		infos, err := g.Add(func(r int, w *Writer) error { return writeRecords(parts[r])(w) })
		if err != nil {
			t.Fatal(err)
		}
		for r, in := range infos {
			if ext := g.Run(k, r); ext.Size != in.Size || in.Records != int64(len(parts[r])) {
				t.Fatalf("group %d run %d: %+v, info %+v", k, r, ext, in)
			}
		}
	}
	path := filepath.Join(dir, "mr-1.a1")
	size, err := g.CommitAt(path)
	if st, serr := os.Stat(path); err != nil || serr != nil || st.Size() != size {
		t.Fatalf("CommitAt: %d bytes (%v); stat %v", size, err, serr)
	}
	return path
}

// list is partition r of the file at path as a server sends it: its one
// run, or a run list.
func list(t *testing.T, path string, r int) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := Runs(bytes.NewReader(data), int64(len(data)), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 1 {
		return data[runs[0].Off : runs[0].Off+runs[0].Size]
	}
	var sizes []int64
	for _, e := range runs {
		sizes = append(sizes, e.Size)
	}
	out := ListHeader(sizes)
	for _, e := range runs {
		out = append(out, data[e.Off:e.Off+e.Size]...)
	}
	if int64(len(out)) != ListSize(sizes) {
		t.Fatalf("list of %d bytes, ListSize %d", len(out), ListSize(sizes))
	}
	return out
}

func TestGroupsRoundTrip(t *testing.T) {
	groups := [][][]KeyValue{
		{{{"a", "1"}, {"c", "2"}}, nil, wcRecords(500, 1)},
		{{{"a", "3"}, {"b", "4"}}, {{"x", "5"}}, nil},
		{nil, {{"w", "6"}, {"x", "7"}}, wcRecords(700, 2)},
	}
	path := writeGroups(t, groups)
	for r := range 3 {
		raw := list(t, path, r)
		var copied bytes.Buffer
		runs, err := VerifyCopy(&copied, bytes.NewReader(raw), int64(len(raw)))
		if err != nil || !bytes.Equal(copied.Bytes(), raw) || len(runs) != len(groups) {
			t.Fatalf("partition %d: VerifyCopy %+v, %v", r, runs, err)
		}
		for k, e := range runs {
			got, err := decodeRun(bytes.NewReader(raw[e.Off:e.Off+e.Size]), e.Size)
			if err != nil || !kvsEqual(got, groups[k][r]) {
				t.Fatalf("partition %d, group %d: %d records (%v), want %d", r, k, len(got), err, len(groups[k][r]))
			}
		}
	}
}

// A file of one group is still a grouped file: one run per partition.
func TestGroupsOfOne(t *testing.T) {
	path := writeGroups(t, [][][]KeyValue{{{{"a", "1"}}, {{"b", "2"}}}})
	raw := list(t, path, 1)
	runs, err := VerifyCopy(&bytes.Buffer{}, bytes.NewReader(raw), int64(len(raw)))
	if err != nil || len(runs) != 1 || runs[0] != (Extent{0, int64(len(raw))}) {
		t.Fatalf("VerifyCopy: %+v, %v", runs, err)
	}
}

func TestVerifyCopyRefusesBrokenLists(t *testing.T) {
	path := writeGroups(t, [][][]KeyValue{{{{"a", "1"}}}, {{{"b", "2"}}}, {{{"c", "3"}}}})
	good := list(t, path, 0)
	withCount := func(k uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[4:], k)
		return b
	}
	withSize := func(i int, s uint64) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[8+8*i:], s)
		return b
	}
	tests := map[string][]byte{
		"no runs":             withCount(0),
		"more runs than sent": withCount(4),
		"huge count":          withCount(1 << 31),
		"sizes too short":     withSize(0, 5),
		"sizes too long":      withSize(2, 1<<40),
		"sizes shifted":       withSize(1, binary.LittleEndian.Uint64(good[16:])+1),
		"a run's bit flipped": flip(good, len(good)-20),
		"a run's magic":       flip(good, 8+24),
		"truncated":           good[:len(good)-3],
		"header only":         good[:8],
	}
	for name, data := range tests {
		if _, err := VerifyCopy(&bytes.Buffer{}, bytes.NewReader(data), int64(len(good))); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestRunsRefusesBrokenGroupIndexes(t *testing.T) {
	path := writeGroups(t, [][][]KeyValue{{{{"a", "1"}}, nil}, {nil, {{"b", "2"}}}})
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tail := func(n, g uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[len(b)-12:], n)
		binary.LittleEndian.PutUint32(b[len(b)-8:], g)
		return b
	}
	entry := func(i int, v uint64) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[len(b)-12-8*4+8*i:], v)
		return b
	}
	tests := map[string][]byte{
		"no groups":          tail(2, 0),
		"too many groups":    tail(2, MaxGroups+1),
		"index past the end": tail(1<<30, 2),
		"no runs":            tail(0, 2),
		"end past the index": entry(1, 1<<40),
		"end before start":   entry(2, 0),
	}
	for name, data := range tests {
		var err error
		for r := 0; r < 2 && err == nil; r++ {
			_, err = Runs(bytes.NewReader(data), int64(len(data)), r)
		}
		if !errors.Is(err, errNoSection) {
			t.Errorf("%s: err = %v, want errNoSection", name, err)
		}
	}
	if _, err := Runs(bytes.NewReader(good), int64(len(good)), 2); !errors.Is(err, errNoSection) {
		t.Errorf("partition 2 of 2: err = %v, want errNoSection", err)
	}
}

func TestGroupsRefuseOneGroupTooMany(t *testing.T) {
	g, err := CreateGroups(filepath.Join(t.TempDir(), "spill"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Abort()
	for k := range MaxGroups {
		if _, err := g.Add(func(int, *Writer) error { return nil }); err != nil {
			t.Fatalf("group %d: %v", k, err)
		}
	}
	if _, err := g.Add(func(int, *Writer) error { return nil }); !errors.Is(err, errTooManyGroups) {
		t.Fatalf("group %d: err = %v, want errTooManyGroups", MaxGroups, err)
	}
	if _, err := g.CommitAt(filepath.Join(t.TempDir(), "out")); err == nil {
		t.Fatal("committed after a failed Add")
	}
}

func TestGroupsFillFailureSticks(t *testing.T) {
	g, err := CreateGroups(filepath.Join(t.TempDir(), "spill"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Abort()
	boom := errors.New("boom")
	if _, err := g.Add(func(r int, w *Writer) error { return fmt.Errorf("run %d: %w", r, boom) }); !errors.Is(err, boom) {
		t.Fatalf("Add: %v", err)
	}
	if _, err := g.Add(func(int, *Writer) error { return nil }); !errors.Is(err, boom) {
		t.Fatalf("Add after a failure: %v", err)
	}
}
