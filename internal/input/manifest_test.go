// Tests of tasks planned from a manifest alone, against those planned
// from the files.

package input

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/manifest"
)

// A job planned from its inputs' manifest alone cuts line-aligned pieces
// that cover every file, packs small files as Tasks does, and keeps files
// whole for an app that wants them whole; Tasks knows each file by its
// identity.
func TestTasksFromManifest(t *testing.T) {
	dir := t.TempDir()
	big := writeInput(t, dir, "big.txt", strings.Repeat("a line of text\n", 400)) // 6000 bytes
	small1 := writeInput(t, dir, "s1.txt", "one\n")
	small2 := writeInput(t, dir, "s2.txt", "two\n")
	opt := Options{Split: 1000, Small: 100}
	_, files, err := Tasks([]string{big, small1, small2}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if f := files[small2]; f.Size != 4 || f.Ino == 0 || f.Index != 2 {
		t.Fatalf("s2.txt seen as %+v", f)
	}
	m := &manifest.Manifest{BlockSize: 512}
	for _, in := range []string{big, small1, small2} {
		r, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := manifest.Scan(r, filepath.Base(in), 512)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, mf)
	}
	tasks, mfiles := ManifestTasks(m, opt)
	var at int64
	for _, task := range tasks[:len(tasks)-1] {
		p := task[0]
		if len(task) != 1 || p.File != "big.txt" || p.Offset != at || (p.Offset+p.Length)%15 != 0 {
			t.Fatalf("piece %+v after %d", p, at)
		}
		at += p.Length
	}
	if at != 6000 || len(tasks) != 7 || len(tasks[6]) != 2 || tasks[6][1].File != "s2.txt" || mfiles["s1.txt"].Index != 1 {
		t.Fatalf("%d tasks, big.txt covered to %d, last task %+v", len(tasks), at, tasks[len(tasks)-1])
	}
	opt.WholeFiles = true
	if tasks, _ := ManifestTasks(m, opt); len(tasks[0]) != 1 || tasks[0][0].Length != 6000 {
		t.Fatalf("whole files: first task %+v", tasks[0])
	}
}
