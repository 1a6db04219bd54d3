// whole_test.go: an app that needs whole files gets them.

package coordinator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A coordinator given a plugin that exports WholeFiles = true cuts no
// input, whatever the split size.
func TestPluginsWholeFilesHonoured(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module whole\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.go"), []byte("package main\n\nvar WholeFiles = true\n\n"+
		"func Map(name, contents string) int { return len(contents) }\n"), 0o644)
	cmd := exec.Command("go", "build", "-buildmode=plugin", "-o", "whole.so", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build a plugin here: %v: %s", err, out)
	}
	big := filepath.Join(t.TempDir(), "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("alpha beta\n", 1000)), 0o644)
	cfg := testConfig(t.TempDir())
	cfg.SplitSize, cfg.AppPlugin = 100, filepath.Join(dir, "whole.so")
	c, err := New(cfg, []string{big})
	if err != nil {
		t.Fatal(err)
	}
	defer c.dirs.lock.release()
	defer c.front.ln.Close()
	if n := len(c.tasks); n != 1 || c.cut != "" {
		t.Fatalf("%d map tasks (cut %q) for one 11,000-byte input of an app that needs whole files", n, c.cut)
	}
}
