// Tests of recovery: a torn or damaged journal replays as a prefix of
// what was appended, and a file that is not a journal is left alone.

package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// checkResumes opens the journal at path, expecting the records want and
// a dropped tail from offset on, then checks that the next Append lands
// at offset and reads back after want.
func checkResumes(t *testing.T, path string, want []Entry, offset, dropped int64) {
	t.Helper()
	j, got := openT(t, path)
	checkEntries(t, got, want)
	r := j.Repair()
	if r.Offset != offset || r.Bytes != dropped || (r.Reason == "") != (dropped == 0) {
		t.Fatalf("repair %+v, want %d bytes dropped at %d", r, dropped, offset)
	}
	if size := fileSize(t, path); size != offset {
		t.Fatalf("after Open the file is %d bytes, want %d", size, offset)
	}
	next := Entry{Kind: 9, Payload: []byte("after")}
	if err := j.Append(next.Kind, next.Payload); err != nil {
		t.Fatal(err)
	}
	closeT(t, j)
	if size := fileSize(t, path); size != offset+overhead+5 {
		t.Fatalf("after an Append the file is %d bytes, want %d", size, offset+overhead+5)
	}
	j, got = openT(t, path)
	closeT(t, j)
	checkEntries(t, got, append(slices.Clone(want), next))
}

func TestTornLastRecordIsDropped(t *testing.T) {
	records := sample(3)
	path, offsets := writeJournal(t, records)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last, end := offsets[2], offsets[3]
	for cut := last; cut < end; cut++ {
		if err := os.WriteFile(path, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		checkResumes(t, path, records[:2], last, cut-last)
	}
}

func TestFlippedByteInLastRecordIsDropped(t *testing.T) {
	records := sample(3)
	path, offsets := writeJournal(t, records)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last, end := offsets[2], offsets[3]
	for pos := last; pos < end; pos++ {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			data := slices.Clone(whole)
			data[pos] ^= mask
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			checkResumes(t, path, records[:2], last, end-last)
		}
	}
}

// TestCorruptMiddleRecordDropsItAndAllAfter: the journal replays as a
// prefix of what was appended, so whole records after a damaged one go
// too.
func TestCorruptMiddleRecordDropsItAndAllAfter(t *testing.T) {
	records := sample(5)
	for name, damage := range map[string]func(data []byte, at int64){
		"payload": func(data []byte, at int64) { data[at+frameLen] ^= 0x20 },
		"kind":    func(data []byte, at int64) { data[at+4]++ },
		"length":  func(data []byte, at int64) { binary.LittleEndian.PutUint32(data[at:], 1<<31) },
	} {
		t.Run(name, func(t *testing.T) {
			path, offsets := writeJournal(t, records)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damage(data, offsets[1])
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			checkResumes(t, path, records[:1], offsets[1], offsets[5]-offsets[1])
		})
	}
}

func TestFileThatIsNotAJournalIsLeftAlone(t *testing.T) {
	valid := appendRecord(header(), 1, []byte("x"))
	for name, data := range map[string][]byte{
		"empty":         {},
		"short header":  []byte("MRJ"),
		"other magic":   append([]byte("MRR1"), valid[4:]...),
		"newer version": append([]byte("MRJL\x02\x00\x00\x00"), valid[headerLen:]...),
		"text":          []byte("hello, world\n"),
	} {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir() + "/mr-out-0"
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := Open(path)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open: %v, want ErrFormat naming %s", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Fatalf("file changed from %q to %q", data, after)
			}
		})
	}
}

// allocBound is the most replay may allocate for n bytes of input: its
// entries (an Entry of 32 bytes for each record of at least 9 bytes,
// doubled as a slice grows) and a little for the reason; never anything
// a length field claims.
func allocBound(n int) uint64 { return 8*uint64(n) + 64<<10 }

func FuzzReplay(f *testing.F) {
	f.Add([]byte{})
	f.Add(header())
	f.Add(appendRecord(appendRecord(header(), 1, []byte(`{"task":1}`)), 2, nil))
	f.Add(appendRecord(header(), 3, []byte("torn"))[:headerLen+7])
	f.Add(append(binary.LittleEndian.AppendUint32(header(), MaxPayload), 1, 'x'))
	f.Add(append(binary.LittleEndian.AppendUint32(header(), MaxPayload+1), 1, 'x'))
	f.Add(append([]byte("MRJL\x02\x00\x00\x00"), 0, 0, 0, 0, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		entries, r, badHeader := replay(data)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > allocBound(len(data)) {
			t.Fatalf("replay of %d bytes allocated %d", len(data), alloc)
		}
		if badHeader != "" {
			if bytes.HasPrefix(data, header()) {
				t.Fatalf("replay refused a good header: %s", badHeader)
			}
			return
		}
		if r.Offset+r.Bytes != int64(len(data)) || (r.Bytes == 0) != (r.Reason == "") {
			t.Fatalf("repair %+v of %d bytes", r, len(data))
		}
		again := header()
		for _, e := range entries {
			again = appendRecord(again, e.Kind, e.Payload)
		}
		if !bytes.Equal(again, data[:r.Offset]) {
			t.Fatalf("entries re-encode to %q, not the prefix %q", again, data[:r.Offset])
		}
	})
}
