// Package atomicfile writes files that become visible under their name
// only when complete: each is written as a hidden temp file in the same
// directory and renamed into place on Commit, so a reader never sees a
// partial file. It imports nothing of the engine.
//
// Files made by Create get the usual permissions of a new file, 0666 less
// the process's umask (0644 under the common umask 022), as os.Create
// would give them; scratch files are private to their process (0600).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// File is a file being written under a temp name; Commit publishes it,
// Abort drops it.
type File struct {
	*os.File
	path   string
	noSync bool // scratch data: visibility matters, durability does not
	done   bool // committed: Abort leaves it be
}

// CreateScratch is Create for files that die with the process (run
// files, fetched copies): private to the process (0600), and Commit
// renames without an fsync.
func CreateScratch(path string) (*File, error) {
	f, err := create(path, 0o600)
	if err == nil {
		f.noSync = true
	}
	return f, err
}

// Create starts the file that Commit will publish at path, with the
// permissions os.Create gives: 0666 less the umask.
func Create(path string) (*File, error) { return create(path, 0o666) }

// CreateUnsynced is Create for data that can be made again (generated
// inputs, a benchmark's outputs): Commit renames without an fsync, which
// for gigabytes would cost more than making them.
func CreateUnsynced(path string) (*File, error) {
	f, err := create(path, 0o666)
	if err == nil {
		f.noSync = true
	}
	return f, err
}

// CreateUnsyncedIn is CreateUnsynced with the temp file in tmpDir, which
// must be on the same file system as path: creating a file in a directory
// of thousands costs more than in a small one.
func CreateUnsyncedIn(tmpDir, path string) (*File, error) {
	f, err := createIn(tmpDir, path, 0o666)
	if err == nil {
		f.noSync = true
	}
	return f, err
}

func create(path string, perm fs.FileMode) (*File, error) {
	dir, _ := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return createIn(dir, path, perm)
}

func createIn(dir, path string, perm fs.FileMode) (*File, error) {
	f, err := createTemp(dir, "."+filepath.Base(path)+".", ".tmp", perm)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: creating %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// createTemp is os.CreateTemp with a mode: the kernel applies the umask
// to perm, as for any new file (os.CreateTemp always uses 0600).
func createTemp(dir, prefix, suffix string, perm fs.FileMode) (*os.File, error) {
	for range 10000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("no unused temp file name")
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
	f.done = true
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: writing %s: %w", f.path, err)
	}
	return nil
}

// CommitAt is Commit to path rather than the path the file was created
// for: path must be on the same file system.
func (f *File) CommitAt(path string) error {
	f.path = path
	return f.Commit()
}

// Abort drops the temp file. It is a no-op after Commit: no failing
// unlink, which takes the directory's lock as a create does.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.Close()
	os.Remove(f.Name())
}
