// Tests of a split read from the worker's own copies of its inputs
// (Task.Copies), by the app's process itself.

package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
)

// copyOf writes text as an input in dir and describes its piece [off,
// off+n) in blocks of bs, as a worker holding it would.
func copyOf(t *testing.T, dir, name, text string, bs, off, n int64) Copy {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := manifest.Scan(strings.NewReader(text), name, bs)
	if err != nil {
		t.Fatal(err)
	}
	return Copy{Path: path, Key: manifest.KeyOf(st), Piece: manifest.PieceOf(&f, bs, off, n)}
}

// copiesTask maps the copies, whose pieces are named inputs.
func copiesTask(dir string, inputs []Input, copies []Copy) *Task {
	return &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 2, Inputs: inputs, Copies: copies,
		Out: filepath.Join(dir, "out"), Spill: filepath.Join(dir, "spill"), MapBuffer: 1 << 20}
}

// Pieces of copies, one from mid-block to mid-block and one empty, are
// read by the app's process and mapped as the same bytes from a split
// file are.
func TestSplitReadFromCopies(t *testing.T) {
	dir := t.TempDir()
	a := strings.Repeat("alpha beta gamma\n", 200) // 3,400 bytes: 4 blocks of 1,024
	b := "delta epsilon\n"
	empty := copyOf(t, dir, "empty.txt", "", 1024, 0, 0)
	os.Remove(empty.Path) // an empty piece reads nothing, so opens nothing
	copies := []Copy{copyOf(t, dir, "a.txt", a, 1024, 17, 3000), empty, copyOf(t, dir, "b.txt", b, 1024, 0, int64(len(b)))}
	inputs := []Input{{Name: "a.txt", Length: 3000}, {Name: "empty.txt"}, {Name: "b.txt", Length: int64(len(b))}}
	res := childForTest(t).Run(context.Background(), copiesTask(dir, inputs, copies), func(int64) {})
	if res.failed() || res.Copy != nil {
		t.Fatalf("split from copies: %+v", res)
	}
	from := mapTaskFor(t, t.TempDir(), "a.txt", a[17:3017]+b)
	from.Inputs = inputs
	want := InProcess{App: poisonApp()}.Run(context.Background(), from, func(int64) {})
	if res.Written != want.Written || res.Counters.MapInputBytes != 3000+int64(len(b)) ||
		res.Counters.MapOutputRecords != want.Counters.MapOutputRecords || res.Counters.MapInputRecords != want.Counters.MapInputRecords {
		t.Fatalf("from copies: written %d, counters %+v; from a file: written %d, counters %+v",
			res.Written, res.Counters, want.Written, want.Counters)
	}
}

// A copy that differs from its checksums, or that is no longer the file
// listed, fails the attempt before Map is called, saying which copy and
// whether its bytes differ: the worker then reads that input elsewhere.
func TestSplitFromACopyThatCannotBeUsed(t *testing.T) {
	dir := t.TempDir()
	good := copyOf(t, dir, "good.txt", "one two three\n", 1024, 0, 14)
	inputs := []Input{{Name: "good.txt", Length: 14}, {Name: "bad.txt", Length: 14}}
	e := childForTest(t)
	for _, c := range []struct {
		name    string
		damage  func(path string)
		differs bool
	}{
		{"a byte changed", func(path string) {
			st, _ := os.Stat(path)
			os.WriteFile(path, []byte("one two thRee\n"), 0o644)
			os.Chtimes(path, st.ModTime(), st.ModTime())
		}, true},
		{"removed", func(path string) { os.Remove(path) }, false},
		{"replaced", func(path string) { os.Remove(path); os.WriteFile(path, []byte("one two three four\n"), 0o644) }, false},
	} {
		bad := copyOf(t, dir, "bad.txt", "one two three\n", 1024, 0, 14)
		c.damage(bad.Path)
		if c.differs { // the write kept the size and the time: only the change time could tell, or not
			st, _ := os.Stat(bad.Path)
			bad.Key = manifest.KeyOf(st)
		}
		task := copiesTask(dir, inputs, []Copy{good, bad})
		res := e.Run(context.Background(), task, func(int64) {})
		if !res.failed() || res.App || res.Copy == nil || res.Copy.Piece != 1 || res.Copy.Differs != c.differs ||
			!strings.Contains(res.Err, bad.Path) || res.Copy.Cause == "" {
			t.Fatalf("%s: %+v", c.name, res)
		}
		if _, err := os.Stat(task.Out); !os.IsNotExist(err) {
			t.Fatalf("%s: the attempt wrote %s", c.name, task.Out)
		}
	}
}
