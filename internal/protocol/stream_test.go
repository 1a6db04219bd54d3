// Tests of a streaming job's wire form: shipped file names and
// Stream.Check.

package protocol

import (
	"strings"
	"testing"
)

// A peer's file names name files only once they are plain base names.
func TestStreamFileNamesAreBaseNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../x", "a/b", "/etc/passwd", "x\x00y", strings.Repeat("a", 256)} {
		if CheckFileName(name) == nil {
			t.Errorf("%q accepted", name)
		}
	}
	for _, name := range []string{"map.py", ".hidden", "a b", "..x", strings.Repeat("a", 255)} {
		if err := CheckFileName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

func TestStreamCheck(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, s := range []Stream{
		{},
		{Mapper: "cat", Reducer: strings.Repeat("x", maxCommand+1)},
		{Mapper: "cat\x00"},
		{Mapper: "cat", Files: []StreamFile{{Name: "a", Sum: "nothex", Size: 1}}},
		{Mapper: "cat", Files: []StreamFile{{Name: "a", Sum: sum}, {Name: "a", Sum: sum}}},
		{Mapper: "cat", Files: []StreamFile{{Name: "a", Sum: sum, Size: MaxStreamBytes}, {Name: "b", Sum: sum, Size: 1}}},
		{Mapper: "cat", Files: []StreamFile{{Name: "a", Sum: sum, Size: -1}}},
	} {
		if s.Check() == nil {
			t.Errorf("%.120v accepted", s)
		}
	}
	ok := Stream{Mapper: "cat", Reducer: "uniq -c", Files: []StreamFile{{Name: "a", Sum: sum, Size: 10}}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	other := ok
	other.Reducer = "uniq"
	if ok.Build() == other.Build() || len(ok.Build()) != 64 {
		t.Errorf("builds %s and %s: want two SHA-256s", ok.Build(), other.Build())
	}
}
