// Spares: temp files made ahead of need in one directory, so that creating
// a file is off the path of whoever publishes it.

package atomicfile

import (
	"io/fs"
	"os"
	"sync"
)

// Spares creates temp files ahead of need in one directory, so that
// making a file, which on a cold file system costs more than writing a
// small one (the kernel reads inode tables from disk), is done beside the
// caller rather than on its path: a coordinator committing thousands of
// small reduce outputs answers each upload without waiting for a create.
// The files it hands out are published as CreateUnsyncedIn's are.
type Spares struct {
	dir   string
	perm  fs.FileMode
	ready chan *os.File
	once  sync.Once // starts the filler on first use
	stop  chan struct{}
	wg    sync.WaitGroup
}

// NewSpares keeps up to n spare files (mode 0666 less the umask) in dir,
// which must be on the file system of the paths they will be published
// at. Nothing is created before the first Create.
func NewSpares(dir string, n int) *Spares {
	return &Spares{dir: dir, perm: 0o666, ready: make(chan *os.File, n), stop: make(chan struct{})}
}

// Create starts the file that Commit will publish at path, unsynced: a
// spare if one is ready, else a file made now.
func (s *Spares) Create(path string) (*File, error) {
	s.once.Do(func() { s.wg.Go(s.fill) })
	select {
	case f := <-s.ready:
		return &File{File: f, path: path, noSync: true}, nil
	default:
		return CreateUnsyncedIn(s.dir, path)
	}
}

// fill keeps the spares topped up until Close.
func (s *Spares) fill() {
	for {
		f, err := createTemp(s.dir, ".spare.", ".tmp", s.perm)
		if err != nil {
			return // Create makes its own files then, and says what fails
		}
		select {
		case s.ready <- f:
		case <-s.stop:
			f.Close()
			os.Remove(f.Name())
			return
		}
	}
}

// Close stops making spares and removes those not handed out.
func (s *Spares) Close() {
	close(s.stop)
	s.wg.Wait()
	for {
		select {
		case f := <-s.ready:
			f.Close()
			os.Remove(f.Name())
		default:
			return
		}
	}
}
