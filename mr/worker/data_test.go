// data_test.go: a worker's data directory holds its copies by identity.

package worker

import (
	"os"
	"path/filepath"
	"testing"

	"mapreduce/internal/protocol"
)

// A data directory lists plain regular files only, by name and size; a
// copy is opened only while it is the file listed: a name swapped for
// another file (or a link to one) afterwards is refused, and a copy found
// to differ is not listed again while it stays that file.
func TestDataDirHoldsByIdentity(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a.txt", "alpha\n")
	write("b.txt", "beta\n")
	write(".hidden", "x\n")
	os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	private := filepath.Join(t.TempDir(), "private.txt")
	os.WriteFile(private, []byte("secret\n"), 0o600)

	d, err := newDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, keys, err := d.list()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0] != (protocol.HeldFile{Name: "a.txt", Size: 6}) || files[1].Name != "b.txt" {
		t.Fatalf("listed %+v", files)
	}
	d.keep([]string{"a.txt", "b.txt", "../x"}, keys)
	if f, err := d.open("a.txt"); f == nil || err != nil {
		t.Fatalf("open a.txt: %v", err)
	} else {
		f.Close()
	}
	if f, err := d.open("../x"); f != nil || err != nil {
		t.Fatalf("a name never listed opened: %v", err)
	}
	os.Remove(filepath.Join(dir, "b.txt"))
	if err := os.Symlink(private, filepath.Join(dir, "b.txt")); err != nil {
		t.Fatal(err)
	}
	if f, err := d.open("b.txt"); f != nil || err == nil {
		t.Fatal("b.txt, swapped for a link to another file, opened")
	}
	if !d.forget("a.txt", "differs", true) || d.holds("a.txt") {
		t.Fatal("a.txt not forgotten")
	}
	files, _, _ = d.list()
	for _, f := range files {
		if f.Name == "a.txt" || f.Name == "b.txt" {
			t.Fatalf("listed again: %s (known to differ, or a link)", f.Name)
		}
	}
	if _, err := newDataDir(filepath.Join(dir, "a.txt")); err == nil {
		t.Fatal("a file accepted as a data directory")
	}
}
