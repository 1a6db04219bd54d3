// Package atomicfile writes files that become visible under their name
// only when complete: each is written as a hidden temp file in the same
// directory and renamed into place on Commit, so a reader never sees a
// partial file. It imports nothing of the engine.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// File is a file being written under a temp name; Commit publishes it,
// Abort drops it.
type File struct {
	*os.File
	path   string
	noSync bool // scratch data: visibility matters, durability does not
}

// CreateScratch is Create for files that die with the process (run
// files, fetched copies): Commit renames without an fsync.
func CreateScratch(path string) (*File, error) {
	f, err := Create(path)
	if err == nil {
		f.noSync = true
	}
	return f, err
}

// Create starts the file that Commit will publish at path.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: creating %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// Commit flushes the file to disk and renames it into place.
func (f *File) Commit() error {
	var err error
	if !f.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: writing %s: %w", f.path, err)
	}
	return nil
}

// Abort drops the temp file. It is a no-op after Commit.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}
