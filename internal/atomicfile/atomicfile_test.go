// Tests of atomic files: permissions of published and scratch files,
// Abort (before and after Commit), and spare files published and cleaned up.

package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCommitPublishesWithUsualPermissions(t *testing.T) {
	old := syscall.Umask(0o022) // the test binary runs no other goroutine creating files
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "mr-out-0")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("visible before Commit: %v", err)
	}
	f.WriteString("a 1\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestScratchIsPrivateAndAbortRemoves(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateScratch(filepath.Join(dir, "mr-1-2"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("scratch mode %v, want 0600", st.Mode().Perm())
	}
	f.Abort()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("Abort left %d files", len(left))
	}
}

// Abort after Commit (a deferred one) touches nothing: not the
// published file, nor a file made since under the temp name.
func TestAbortAfterCommitTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateScratch(filepath.Join(dir, "mr-out-0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.Name(), nil, 0o600); err != nil { // a later temp file of the same name
		t.Fatal(err)
	}
	f.Abort()
	for _, p := range []string{f.Name(), filepath.Join(dir, "mr-out-0")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Abort after Commit removed %s: %v", filepath.Base(p), err)
		}
	}
}

// Spares hands out files that Commit publishes complete under their
// names, and Close leaves nothing else in the directory.
func TestSparesPublishAndCleanUp(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	out := t.TempDir()
	tmp := t.TempDir()
	s := NewSpares(tmp, 4)
	for i := range 20 {
		path := filepath.Join(out, fmt.Sprintf("mr-out-%d", i))
		f, err := s.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(f, "record %d\n", i); err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			f.Abort()
			continue
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 19 {
		t.Fatalf("%d outputs (%v), want 19", len(entries), err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil || string(b) != "record "+strings.TrimPrefix(e.Name(), "mr-out-")+"\n" {
			t.Fatalf("%s holds %q (%v)", e.Name(), b, err)
		}
		if info, _ := e.Info(); info.Mode().Perm() != 0o644 {
			t.Fatalf("%s has mode %v, want 0644 under umask 022", e.Name(), info.Mode())
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("Close left %d files in the spares' directory", len(left))
	}
}
