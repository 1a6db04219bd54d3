// Tests of cutting inputs into map tasks: split boundaries at line ends,
// coverage, order and names, folders, binary files, whole files and the
// packing of small files.

package input

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"mapreduce/internal/protocol"
)

// makeSplits cuts inputs into map tasks and lists their pieces in order.
func makeSplits(inputs []string, size int64) ([]protocol.Split, error) {
	tasks, _, err := Tasks(inputs, Options{Split: size, Small: size, Pack: size})
	var all []protocol.Split
	for _, t := range tasks {
		all = append(all, t...)
	}
	return all, err
}

func writeInput(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readSplits returns the text of each split, read back from the file.
func readSplits(t *testing.T, splits []protocol.Split) []string {
	t.Helper()
	var out []string
	for _, s := range splits {
		b, err := os.ReadFile(s.File)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b[s.Offset:s.Offset+s.Length]))
	}
	return out
}

func TestSplitBoundaries(t *testing.T) {
	long := strings.Repeat("x", 50)
	cases := []struct {
		name    string
		content string
		size    int64
		want    []string
	}{
		{"small file is one split", "a b\nc d\n", 64, []string{"a b\nc d\n"}},
		{"empty file is one empty split", "", 8, []string{""}},
		{"exact size", "abc\n", 4, []string{"abc\n"}},
		{"cut at line ends", "aa\nbb\ncc\ndd\n", 4, []string{"aa\nbb\n", "cc\ndd\n"}},
		{"boundary right after newline", "aaa\nbbb\nccc\n", 4, []string{"aaa\n", "bbb\n", "ccc\n"}},
		{"last line without newline", "aa\nbb\ncc", 3, []string{"aa\n", "bb\n", "cc"}},
		{"CRLF stays whole", "aa\r\nbb\r\ncc\r\n", 3, []string{"aa\r\n", "bb\r\n", "cc\r\n"}},
		{"line longer than split", "s\n" + long + "\nt\n", 4, []string{"s\n" + long + "\n", "t\n"}},
		{"single long line", long, 8, []string{long}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeInput(t, t.TempDir(), "in.txt", c.content)
			splits, err := makeSplits([]string{p}, c.size)
			if err != nil {
				t.Fatal(err)
			}
			got := readSplits(t, splits)
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Fatalf("splits = %q, want %q", got, c.want)
			}
		})
	}
}

// Every byte is in exactly one split and every split but the last of a
// file ends at a line end, for all split sizes.
func TestSplitsCoverFileExactly(t *testing.T) {
	content := "the quick\nbrown fox\r\n\njumps over\nthe lazy dog, a very long line indeed\nend"
	p := writeInput(t, t.TempDir(), "in.txt", content)
	for size := int64(1); size <= int64(len(content))+1; size++ {
		splits, err := makeSplits([]string{p}, size)
		if err != nil {
			t.Fatal(err)
		}
		got := readSplits(t, splits)
		if strings.Join(got, "") != content {
			t.Fatalf("size %d: splits do not reassemble the file: %q", size, got)
		}
		for i, s := range got[:len(got)-1] {
			if !strings.HasSuffix(s, "\n") || s == "" {
				t.Fatalf("size %d: split %d = %q does not end a line", size, i, s)
			}
		}
	}
}

func TestSplitsKeepInputOrderAndNames(t *testing.T) {
	dir := t.TempDir()
	a := writeInput(t, dir, "a.txt", "1\n2\n3\n")
	b := writeInput(t, dir, "b.txt", "4\n")
	splits, err := makeSplits([]string{b, a}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range splits {
		files = append(files, filepath.Base(s.File))
	}
	if strings.Join(files, ",") != "b.txt,a.txt,a.txt,a.txt" {
		t.Fatalf("split files %v", files)
	}
}

func TestSplitRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	for p, want := range map[string]string{filepath.Join(dir, "missing.txt"): "no such file",
		fifo: "not a regular file but a named pipe", empty: "holds no regular file"} {
		_, _, err := Expand([]string{p})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), p) != 1 {
			t.Errorf("Expand(%s) error = %v, want one naming the file once and saying %q", p, err, want)
		}
	}
	if _, _, err := Expand(nil); err == nil || !strings.Contains(err.Error(), "no inputs") {
		t.Errorf("no inputs: %v", err)
	}
}

// A folder is its regular files, in name order; its other entries
// (hidden files, subfolders, pipes) are skipped and named in one line.
func TestFolderInputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.txt", "a.txt", ".hidden", "c.md"} {
		writeInput(t, dir, name, "x\n")
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := writeInput(t, t.TempDir(), "one.txt", "y\n")
	got, notes, err := Expand([]string{one, dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{one, filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "c.md")}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("inputs %v, want %v", got, want)
	}
	wantNote := "mr: input folder " + dir + ": skipped .hidden (hidden), fifo (a named pipe), sub (a folder: its files are not read)"
	if len(notes) != 1 || notes[0] != wantNote {
		t.Fatalf("notes %q, want one: %q", notes, wantNote)
	}
}

// A folder of many skipped entries is still one line, naming the first few.
func TestSkippedNoteIsBounded(t *testing.T) {
	dir := t.TempDir()
	writeInput(t, dir, "a.txt", "x\n")
	for i := range 20 {
		os.Mkdir(filepath.Join(dir, fmt.Sprintf("sub%02d", i)), 0o755)
	}
	_, notes, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || strings.Contains(notes[0], "\n") || !strings.HasSuffix(notes[0], "sub04 (a folder: its files are not read) and 15 more") {
		t.Fatalf("notes %q", notes)
	}
}

// A file with a NUL byte in its first block is not text: refused in one
// line naming it and the flag, unless the job reads bytes.
func TestBinaryInputRefusedUnlessAsked(t *testing.T) {
	dir := t.TempDir()
	text := writeInput(t, dir, "a.txt", "hello\n")
	bin := writeInput(t, dir, "prog", "\x7fELF\x02\x01\x01\x00\x00rest\n")
	_, _, err := Tasks([]string{text, bin}, Options{Split: 100, Small: 1, Pack: 1})
	want := "mr: input " + bin + ": not text (a NUL byte at offset 7); if the app reads bytes, give the job -binary"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	tasks, _, err := Tasks([]string{text, bin}, Options{Split: 100, Small: 1, Pack: 1, Binary: true})
	if err != nil || len(tasks) != 2 {
		t.Fatalf("with Binary: %d tasks, %v", len(tasks), err)
	}
	late := writeInput(t, dir, "late", strings.Repeat("x", textBlock)+"\x00\n")
	if _, _, err := Tasks([]string{late}, Options{Split: 100, Small: 1, Pack: 1}); err != nil {
		t.Fatalf("a NUL past the first block: %v", err)
	}
}

// With WholeFiles, no file is cut, however large.
func TestWholeFilesAreNeverCut(t *testing.T) {
	p := writeInput(t, t.TempDir(), "big.txt", strings.Repeat("line\n", 100))
	tasks, _, err := Tasks([]string{p}, Options{Split: 10, Small: 1, Pack: 1, WholeFiles: true})
	if err != nil || len(tasks) != 1 || len(tasks[0]) != 1 || tasks[0][0].Length != 500 {
		t.Fatalf("tasks %v, %v: want one piece of 500 bytes", tasks, err)
	}
}

// Small files share map tasks up to the pack size, in order; a large
// file is cut into tasks of its own.
func TestSmallInputsArePacked(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i, size := range []int{4, 4, 4, 30, 4, 0, 4} {
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("%d.txt", i), strings.Repeat("ab\n", size/3)+strings.Repeat("c", size%3)))
	}
	tasks, _, err := Tasks(inputs, Options{Split: 9, Small: 9, Pack: 9})
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, task := range tasks {
		var names []string
		for _, p := range task {
			names = append(names, fmt.Sprintf("%s@%d", filepath.Base(p.File), p.Offset))
		}
		shape = append(shape, strings.Join(names, "+"))
	}
	want := "0.txt@0+1.txt@0|2.txt@0|3.txt@0|3.txt@9|3.txt@18|3.txt@27|4.txt@0+5.txt@0+6.txt@0"
	if got := strings.Join(shape, "|"); got != want {
		t.Fatalf("tasks %s, want %s", got, want)
	}
}

// A file of at least the small-file size is a task of its own, even when
// it would fit in a pack.
func TestOnlySmallInputsArePacked(t *testing.T) {
	dir := t.TempDir()
	a := writeInput(t, dir, "a.txt", "ab\n")
	b := writeInput(t, dir, "b.txt", "abcdefgh\n")
	c := writeInput(t, dir, "c.txt", "ab\n")
	tasks, _, err := Tasks([]string{a, b, c}, Options{Split: 100, Small: 5, Pack: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 3 {
		t.Fatalf("%d tasks, want 3: the middle file is not small", len(tasks))
	}
}

// A run of small files is cut into as few tasks as the pack size allows,
// of about equal sizes: 96 bytes with a pack of 64 make two tasks of 48,
// not 64 and 32.
func TestSmallInputsArePackedEvenly(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := range 12 {
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("%02d.txt", i), "abcdefg\n"))
	}
	tasks, _, err := Tasks(inputs, Options{Split: 1000, Small: 100, Pack: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 || len(tasks[0]) != 6 || len(tasks[1]) != 6 {
		var sizes []int
		for _, task := range tasks {
			sizes = append(sizes, len(task))
		}
		t.Fatalf("tasks of %v files, want two of 6", sizes)
	}
}

// shape names each task's pieces: "a.txt@0+b.txt@0|c.txt@0|...".
func shape(tasks [][]protocol.Split) string {
	var out []string
	for _, task := range tasks {
		var names []string
		for _, p := range task {
			names = append(names, fmt.Sprintf("%s@%d", filepath.Base(p.File), p.Offset))
		}
		out = append(out, strings.Join(names, "+"))
	}
	return strings.Join(out, "|")
}

// Tasks are sized by bytes, not files: by default (Small 0) every file
// smaller than the split size is packed, so 16 files of a quarter of the
// split make 4 tasks of 4 files, as one file of 16 quarters would, even
// with a byte more than 4 splits in all.
func TestFilesUnderTheSplitSizeArePacked(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := range 16 {
		extra := strings.Repeat("x", i/15) // the last file has a byte more
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("%02d.txt", i), strings.Repeat("abc\n", 4)+extra))
	}
	tasks, _, err := Tasks(inputs, Options{Split: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 4 {
		t.Fatalf("%d tasks (%s), want 4 of 4 files", len(tasks), shape(tasks))
	}
	for _, task := range tasks {
		if len(task) != 4 {
			t.Fatalf("tasks %s, want 4 of 4 files", shape(tasks))
		}
	}
}

// A pack never holds more than the pack size unless one file alone does,
// even when balancing would put two large files together: five files of
// 40 bytes with a pack of 64 are five tasks, not 40+40 anywhere.
func TestPackNeverPassesThePackSize(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := range 5 {
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("%d.txt", i), strings.Repeat("abcdefg\n", 5)))
	}
	inputs = append(inputs, writeInput(t, dir, "big.txt", strings.Repeat("x", 100)))
	tasks, _, err := Tasks(inputs, Options{Split: 64, Small: 200, Pack: 64})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := shape(tasks), "0.txt@0|1.txt@0|2.txt@0|3.txt@0|4.txt@0|big.txt@0"; got != want {
		t.Fatalf("tasks %s, want %s", got, want)
	}
}

// A file a little over the split size is one task, not a task and a
// tiny one (Hadoop's SPLIT_SLOP of 1.1): a last piece under a tenth of
// the split size stays with the one before it; from a tenth on, it is a
// piece of its own.
func TestALastPieceUnderATenthJoinsItsNeighbour(t *testing.T) {
	dir := t.TempDir()
	line := strings.Repeat("x", 9) + "\n" // 10 bytes
	for _, c := range []struct {
		lines int
		want  []int64 // piece lengths
	}{
		{10, []int64{100}},
		{11, []int64{110}},     // 10 % over: one piece
		{12, []int64{100, 20}}, // 20 % over: two
		{25, []int64{100, 100, 50}},
		{21, []int64{100, 110}},
	} {
		p := writeInput(t, dir, fmt.Sprintf("in%d.txt", c.lines), strings.Repeat(line, c.lines))
		tasks, _, err := Tasks([]string{p}, Options{Split: 100, Pack: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, task := range tasks {
			got = append(got, task[0].Length)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%d bytes cut into %v, want %v", c.lines*10, got, c.want)
		}
	}
}

// The same bytes make the same number of tasks however they are cut into
// files (the README's 256 MiB in 1, 4, 16, 128 or 2,048 files: 4 tasks),
// here at a split of 4 KiB: 16 KiB and a few bytes of lines, in 1 to 128
// files, are always 4 tasks.
func TestTasksDoNotDependOnTheLayout(t *testing.T) {
	var text strings.Builder
	for i := 0; text.Len() < 4*4096+59; i++ {
		fmt.Fprintf(&text, "line %d of the corpus\n", i*7919%100003)
	}
	all := text.String()
	for _, n := range []int{1, 4, 16, 128} {
		dir := t.TempDir()
		var inputs []string
		for i, start := 0, 0; i < n; i++ {
			end := len(all) // the line end at or after the i+1-th n-th
			if i < n-1 {
				end = strings.IndexByte(all[(i+1)*len(all)/n:], '\n') + (i+1)*len(all)/n + 1
			}
			inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("%03d.txt", i), all[start:end]))
			start = end
		}
		tasks, _, err := Tasks(inputs, Options{Split: 4096})
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 4 {
			t.Errorf("%d bytes in %d files: %d tasks, want 4", len(all), n, len(tasks))
		}
	}
}

// Inputs are looked at several at once: the tasks are those of one file
// at a time, each file keeps its place, and of several bad inputs the
// first in input order is the one named, wherever the others are.
func TestManyInputsCutAsOneAtATime(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i := range 20 * cutters {
		inputs = append(inputs, writeInput(t, dir, fmt.Sprintf("f%03d", i), strings.Repeat(fmt.Sprintf("line %d\n", i), 1+i%7)))
	}
	opt := Options{Split: 40, Small: 30, Pack: 200}
	if expanded, _, err := Expand(inputs); err != nil || fmt.Sprint(expanded) != fmt.Sprint(inputs) {
		t.Fatalf("Expand: %v, %v", expanded, err)
	}
	tasks, files, err := Tasks(inputs, opt)
	if err != nil {
		t.Fatal(err)
	}
	var serial [][]protocol.Split
	for i, in := range inputs {
		one, f, err := Tasks([]string{in}, opt)
		if err != nil || f[in].Index != 0 || files[in].Index != i || files[in].Size != f[in].Size {
			t.Fatalf("%s: %v; alone %+v, among all %+v", in, err, f[in], files[in])
		}
		serial = append(serial, one...)
	}
	var got, want []protocol.Split
	for _, task := range tasks {
		got = append(got, task...)
	}
	for _, task := range serial {
		want = append(want, task...)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pieces differ from one file at a time:\n got %v\nwant %v", got, want)
	}

	for _, bad := range [][]int{{3}, {2 * cutters, 3 * cutters}, {len(inputs) - 1}, {5, 6, 7, len(inputs) - 2}} {
		in := append([]string(nil), inputs...)
		for _, i := range bad {
			in[i] = filepath.Join(dir, fmt.Sprintf("missing-%d", i))
		}
		_, _, err := Tasks(in, opt)
		if err == nil || !strings.Contains(err.Error(), in[bad[0]]+":") {
			t.Errorf("inputs %v missing: error %v, want one naming %s", bad, err, in[bad[0]])
		}
		if _, _, err := Expand(in); err == nil || !strings.Contains(err.Error(), in[bad[0]]+":") {
			t.Errorf("inputs %v missing: Expand's error %v, want one naming %s", bad, err, in[bad[0]])
		}
	}
}
