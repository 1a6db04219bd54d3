package atomicfile

import (
	"os"
	"path/filepath"
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
