package coordinator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

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
	for _, p := range []string{filepath.Join(dir, "missing.txt"), dir} {
		_, err := makeSplits([]string{p}, 64)
		if err == nil || !strings.Contains(err.Error(), p) || strings.Count(err.Error(), p) != 1 {
			t.Errorf("makeSplits(%s) error = %v, want one naming the file once", p, err)
		}
	}
}
