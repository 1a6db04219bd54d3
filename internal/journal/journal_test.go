// Tests of opening, appending, reopening and closing journals on disk.

package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// openT opens the journal at path or fails the test.
func openT(t *testing.T, path string) (*Journal, []Entry) {
	t.Helper()
	j, entries, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return j, entries
}

// closeT closes j or fails the test.
func closeT(t *testing.T, j *Journal) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// sample returns n entries of assorted kinds and lengths.
func sample(n int) []Entry {
	var es []Entry
	for i := range n {
		es = append(es, Entry{Kind: byte(i * 37), Payload: fmt.Appendf(nil, `{"task":%d,"note":%q}`, i, strings.Repeat("x", i%5))})
	}
	return es
}

// writeJournal makes a journal at a new path holding entries, closed,
// and returns its path and the offset of each record, then of the end.
func writeJournal(t *testing.T, entries []Entry) (string, []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	offsets := []int64{headerLen}
	for _, e := range entries {
		if err := j.Append(e.Kind, e.Payload); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, offsets[len(offsets)-1]+int64(overhead+len(e.Payload)))
	}
	closeT(t, j)
	return path, offsets
}

func entriesEqual(a, b []Entry) bool {
	return slices.EqualFunc(a, b, func(x, y Entry) bool {
		return x.Kind == y.Kind && bytes.Equal(x.Payload, y.Payload)
	})
}

// checkEntries fails the test unless got equals want.
func checkEntries(t *testing.T, got, want []Entry) {
	t.Helper()
	if !entriesEqual(got, want) {
		t.Fatalf("entries:\n got %q\nwant %q", got, want)
	}
}

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestOpenCreatesAJournalWithItsHeaderOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal")
	j, entries := openT(t, path)
	closeT(t, j)
	if len(entries) != 0 || j.Repair() != (Repair{Offset: headerLen}) {
		t.Fatalf("new journal: entries %q, repair %+v", entries, j.Repair())
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(data, []byte("MRJL\x01\x00\x00\x00")) {
		t.Fatalf("new journal holds %q (%v), want the header", data, err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Fatalf("directory holds %d files, want the journal alone", len(names))
	}
}

func TestOpenInAMissingDirectoryFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "journal")
	if _, _, err := Open(path); err == nil || !strings.HasPrefix(err.Error(), "journal: ") {
		t.Fatalf("Open in a missing directory: %v", err)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	want := append(sample(20),
		Entry{Kind: 0, Payload: nil},
		Entry{Kind: 255, Payload: bytes.Repeat([]byte{0, 0xff}, MaxPayload/2)},
		Entry{Kind: 7, Payload: []byte{0, 0, 0, 0}})
	path, offsets := writeJournal(t, want)
	if size := fileSize(t, path); size != offsets[len(offsets)-1] {
		t.Fatalf("file is %d bytes, want %d", size, offsets[len(offsets)-1])
	}
	j, got := openT(t, path)
	defer closeT(t, j)
	checkEntries(t, got, want)
	if r := j.Repair(); r != (Repair{Offset: offsets[len(offsets)-1]}) {
		t.Fatalf("clean journal: repair %+v", r)
	}
}

func TestReopenedJournalAppendsAfterItsRecords(t *testing.T) {
	want := sample(6)
	path, _ := writeJournal(t, want[:3])
	j, got := openT(t, path)
	checkEntries(t, got, want[:3])
	for _, e := range want[3:] {
		if err := j.appendAsync(e.Kind, e.Payload); err != nil {
			t.Fatal(err)
		}
	}
	closeT(t, j) // flushes the asynchronous records
	j, got = openT(t, path)
	closeT(t, j)
	checkEntries(t, got, want)
}

func TestAppendCopiesThePayload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	p := []byte("before")
	if err := j.appendAsync(1, p); err != nil {
		t.Fatal(err)
	}
	copy(p, "AFTER!")
	closeT(t, j)
	j, got := openT(t, path)
	closeT(t, j)
	checkEntries(t, got, []Entry{{1, []byte("before")}})
}

func TestPayloadOverTheLimitIsRefusedAndHarmless(t *testing.T) {
	j, _ := openT(t, filepath.Join(t.TempDir(), "journal"))
	defer closeT(t, j)
	big := make([]byte, MaxPayload+1)
	if err := j.Append(1, big); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("Append of %d bytes: %v", len(big), err)
	}
	if err := j.appendAsync(1, big); err == nil {
		t.Fatal("appendAsync over the limit succeeded")
	}
	if err := j.Append(1, []byte("small")); err != nil {
		t.Fatalf("Append after a refused record: %v", err)
	}
}

func TestClosedJournalRefusesRecords(t *testing.T) {
	j, _ := openT(t, filepath.Join(t.TempDir(), "journal"))
	closeT(t, j)
	closeT(t, j) // idempotent
	for name, err := range map[string]error{
		"Append":      j.Append(1, nil),
		"appendAsync": j.appendAsync(1, nil),
		"Sync":        j.sync(),
	} {
		if !errors.Is(err, errClosed) {
			t.Errorf("%s after Close: %v, want errClosed", name, err)
		}
	}
}
