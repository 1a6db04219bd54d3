package mr

import (
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile is a file that becomes visible under its name only when
// complete: it is written as a hidden temp file in the same directory and
// renamed on Commit. Readers never see a partial file.
type atomicFile struct {
	*os.File
	path   string
	noSync bool // scratch data: visibility matters, durability does not
}

// createScratch is createAtomic for files that die with the process
// (fetched runs): Commit renames without an fsync.
func createScratch(path string) (*atomicFile, error) {
	f, err := createAtomic(path)
	if err == nil {
		f.noSync = true
	}
	return f, err
}

func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("mr: creating %s: %w", path, err)
	}
	return &atomicFile{File: f, path: path}, nil
}

// Commit flushes the file to disk and renames it into place.
func (f *atomicFile) Commit() error {
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
		return fmt.Errorf("mr: writing %s: %w", f.path, err)
	}
	return nil
}

// Abort drops the temp file. It is a no-op after Commit.
func (f *atomicFile) Abort() {
	f.Close()
	os.Remove(f.Name())
}
