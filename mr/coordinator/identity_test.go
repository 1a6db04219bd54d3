// identity_test.go: a journal is taken back only by the job whose map
// tasks it recorded.

package coordinator

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/journal"
	"mapreduce/internal/protocol"
)

// cutTasks cuts inputs into map tasks as New would with cfg.
func cutTasks(t *testing.T, cfg Config, inputs []string) [][]protocol.Split {
	t.Helper()
	tasks, _, err := input.Tasks(inputs, input.Options{Split: cfg.SplitSize, Small: cfg.SmallFile, Pack: cfg.PackSize})
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// stopNow runs c with a context already cancelled: it stops at once,
// closing its listener and its journal as a stopped coordinator does.
func stopNow(c *Coordinator) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Run(ctx)
}

// journaledConfig is a journaled job's config in out, packing small
// inputs with pack (1: never).
func journaledConfig(t *testing.T, out string, pack int64) Config {
	t.Helper()
	cfg0 := testConfig(out)
	cfg0.Journal, cfg0.PackSize = true, pack
	cfg, err := cfg0.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startJournal journals a job of cfg whose map task m was committed by
// worker w1, as a coordinator killed after that commit leaves it.
func startJournal(t *testing.T, cfg Config, inputs []string, m int) {
	t.Helper()
	jr, err := openJournal(cfg, inputs, cutTasks(t, cfg, inputs))
	if err != nil {
		t.Fatal(err)
	}
	defer jr.log.Close()
	if err := jr.append(recStart, startRecord{At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := jr.append(recMap, commitRecord{Task: m, Attempt: 1, Worker: "w1", Read: 1, Written: 1}); err != nil {
		t.Fatal(err)
	}
}

// The same job run again with another packing of its small inputs (the
// issue's attack: -pack-size 0 then 1, and 1 then 0) cuts other map
// tasks: the journal is refused in one line that says what to do, in
// both directions, never adopted (wrong output) and never a panic.
func TestJournalRefusesOtherMapTasks(t *testing.T) {
	inputs := testInputs(t, 8)
	for _, c := range []struct {
		name       string
		was, is    int64 // -pack-size
		wasN, isN  int
		mapJournal int
	}{
		{"packed then one per file", 0, 1, 1, 8, 0},
		{"one per file then packed", 1, 0, 8, 1, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			was := journaledConfig(t, out, c.was)
			if n := len(cutTasks(t, was, inputs)); n != c.wasN {
				t.Fatalf("%d map tasks before, want %d", n, c.wasN)
			}
			startJournal(t, was, inputs, c.mapJournal)
			is := journaledConfig(t, out, c.is)
			if n := len(cutTasks(t, is, inputs)); n != c.isN {
				t.Fatalf("%d map tasks now, want %d", n, c.isN)
			}
			_, err := New(is, inputs)
			if err == nil {
				t.Fatal("the journal of a job cut into other map tasks was taken")
			}
			msg := err.Error()
			for _, want := range []string{"other map tasks", "remove the journal", journalPath(out)} {
				if !strings.Contains(msg, want) {
					t.Errorf("refusal %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("refusal %q is more than one line", msg)
			}
			c2, err := New(was, inputs) // with the flags of before, it resumes
			if err != nil {
				t.Fatalf("the same job with its own flags: %v", err)
			}
			stopNow(c2)
		})
	}
}

// A journal whose identity matches but whose commits name a task the
// job does not have (damaged or forged) is refused, never replayed into
// the scheduler.
func TestJournalRefusesCommitsOutOfRange(t *testing.T) {
	inputs := testInputs(t, 2)
	for _, rec := range []struct {
		kind byte
		r    commitRecord
	}{
		{recMap, commitRecord{Task: 2, Attempt: 1, Worker: "w1"}},
		{recMap, commitRecord{Task: -1, Attempt: 1, Worker: "w1"}},
		{recReduce, commitRecord{Task: 4, Attempt: 1, Worker: "w1"}},
		{recMap, commitRecord{Task: 0, Attempt: 0, Worker: "w1"}},
	} {
		out := t.TempDir()
		cfg := journaledConfig(t, out, 1)
		jr, err := openJournal(cfg, inputs, cutTasks(t, cfg, inputs))
		if err != nil {
			t.Fatal(err)
		}
		if err := jr.append(rec.kind, rec.r); err != nil {
			t.Fatal(err)
		}
		jr.log.Close()
		if _, err := New(cfg, inputs); err == nil || !strings.Contains(err.Error(), "but the job has") {
			t.Errorf("a commit of %c task %d attempt %d: %v, want a refusal", rec.kind, rec.r.Task, rec.r.Attempt, err)
		}
	}
}

// A journal written before identities named their map tasks cannot be
// checked: it is refused, saying what to do.
func TestJournalRefusesAnIdentityWithoutTasks(t *testing.T) {
	inputs := testInputs(t, 2)
	out := t.TempDir()
	cfg := journaledConfig(t, out, 1)
	id, err := jobIdentity(cfg, inputs, cutTasks(t, cfg, inputs))
	if err != nil {
		t.Fatal(err)
	}
	id.Tasks, id.NMap = "", 0
	writeJournal(t, journalPath(out), id)
	_, err = New(cfg, inputs)
	if err == nil || !strings.Contains(err.Error(), "without its map tasks") || !strings.Contains(err.Error(), "remove the journal") {
		t.Fatalf("an identity without tasks: %v, want a refusal saying what to do", err)
	}
}

// writeJournal writes a journal holding only the identity id.
func writeJournal(t *testing.T, path string, id identity) {
	t.Helper()
	j, _, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	jj := &jobJournal{log: j, path: path}
	if err := jj.append(recIdentity, id); err != nil {
		t.Fatal(err)
	}
	j.Close()
}

// Damage to the journal's first record, or in its middle, is said in one
// WARN line naming the bytes dropped; a torn last record (a crash while
// appending) is not a warning.
func TestJournalDamageIsWarned(t *testing.T) {
	inputs := testInputs(t, 2)
	for _, c := range []struct {
		name string
		at   func(size int) int // the offset of the byte to damage, or -1 to cut the last byte
		want string
	}{
		{"first record", func(int) int { return 8 + 5 }, "journal damaged at its first record"},
		{"middle", func(int) int { return -2 }, "journal damaged: the records from the damage on"},
		{"torn tail", func(int) int { return -1 }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			cfg := journaledConfig(t, out, 1)
			startJournal(t, cfg, inputs, 0)
			damage(t, journalPath(out), c.at)
			var logs bytes.Buffer
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			co, err := New(cfg, inputs)
			if err != nil {
				t.Fatal(err)
			}
			stopNow(co)
			warned := strings.Contains(logs.String(), "journal damaged")
			switch {
			case c.want == "" && warned:
				t.Errorf("a torn tail was warned: %s", logs.String())
			case c.want != "" && (!strings.Contains(logs.String(), c.want) || !strings.Contains(logs.String(), "bytes_dropped=")):
				t.Errorf("logs %q do not warn %q with the bytes dropped", logs.String(), c.want)
			}
		})
	}
}

// damage changes one byte of the journal at at(size), or with -1 cuts
// its last byte, or with -2 damages the payload of its second record.
func damage(t *testing.T, path string, at func(int) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch i := at(len(b)); i {
	case -1:
		b = b[:len(b)-1]
	case -2:
		first := 8 + 5 + int(b[8]) | int(b[9])<<8
		b[first+4+5+2] ^= 0xff
	default:
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A file in -out named as the journal that is not one (shorter than its
// header) is refused saying what to do.
func TestJournalNotAJournalSaysWhatToDo(t *testing.T) {
	out := t.TempDir()
	cfg := journaledConfig(t, out, 1)
	if err := os.WriteFile(journalPath(out), []byte("MR"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(cfg, testInputs(t, 1))
	if err == nil || !errors.Is(err, journal.ErrFormat) || !strings.Contains(err.Error(), "remove "+journalPath(out)) {
		t.Fatalf("a 2-byte journal: %v, want a refusal saying to remove it", err)
	}
}
