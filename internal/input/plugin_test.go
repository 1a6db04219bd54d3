// Tests of reading WholeFiles from a built plugin's file.

package input

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WholeFiles reads a plugin's WholeFiles from its file: true where the
// plugin declares it so; false in a binary that does not export it (this
// test binary, whose input.WholeFiles is a function) and in a file that
// is not ELF; an error for a file that cannot be read.
func TestWholeFilesReadFromThePlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module whole\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.go"), []byte("package main\n\nvar WholeFiles = true\n\nvar Other = false\n\n"+
		"func Map(name, contents string) int { return len(contents) }\n"), 0o644)
	cmd := exec.Command("go", "build", "-buildmode=plugin", "-o", "app.so", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build a plugin here: %v: %s", err, out)
	}
	if whole, err := WholeFiles(filepath.Join(dir, "app.so")); err != nil || !whole {
		t.Fatalf("the plugin's WholeFiles = %t, %v; want true", whole, err)
	}
	if whole, err := WholeFiles(os.Args[0]); err != nil || whole {
		t.Fatalf("this test binary's WholeFiles = %t, %v; want false", whole, err)
	}
	if whole, err := WholeFiles(filepath.Join(dir, "app.go")); err != nil || whole {
		t.Fatalf("a Go source as plugin: %t, %v; want false (its loader says what it is)", whole, err)
	}
	_, err := WholeFiles(filepath.Join(dir, "missing.so"))
	if err == nil || strings.Count(err.Error(), "missing.so") != 1 {
		t.Fatalf("a missing plugin: %v", err)
	}
}
