// Tests of -records: unique sort records of 100 bytes, spread over files
// as -size says.

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -records N writes N records of 100 bytes over -files files: 10-byte
// keys of printable ASCII without spaces, all distinct, a space after.
func TestRecordsAreUniqueSortRecords(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-records", "5000", "-files", "3", "-out", dir}, &stderr, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "input-*.txt"))
	if len(paths) != 3 {
		t.Fatalf("%d files, want 3", len(paths))
	}
	keys := make(map[string]bool)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n") {
			line = strings.TrimSuffix(line, "\n")
			if len(line) != recordSize-1 || line[10] != ' ' || strings.ContainsAny(line[:10], " \t") {
				t.Fatalf("%s: %q is not a record", p, line)
			}
			for _, c := range []byte(line[:10]) {
				if c < '!' || c > '~' {
					t.Fatalf("key %q is not printable ASCII", line[:10])
				}
			}
			keys[line[:10]] = true
		}
	}
	if len(keys) != 5000 {
		t.Fatalf("%d distinct keys of 5000 records", len(keys))
	}
}

func TestRecordsFilesFollowSize(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-records", "1000", "-size", "30000", "-out", dir}, &stderr, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if paths, _ := filepath.Glob(filepath.Join(dir, "input-*.txt")); len(paths) != 4 {
		t.Fatalf("%d files of 300 records at most for 1000 records, want 4", len(paths))
	}
	for _, args := range [][]string{{"-records", "-1"}, {"-records", "10", "-total", "1M"}} {
		stderr.Reset()
		if code := run(append(args, "-out", dir), &stderr, &stderr); code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and one line", args, code, stderr.String())
		}
	}
}
