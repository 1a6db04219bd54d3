// The worker's data directory (Config.Data, mrworker -data DIR): copies of
// some or all of the job's inputs under the names the job's manifest
// gives them, as regular files (links are not taken). The worker lists it
// once per registration (names and sizes: nothing is read), the coordinator keeps those that are inputs of the
// job (Hold), and from then on a copy is used only while it is the file
// that was listed (device, inode, size, modification and change time: a
// name swapped for a link to another file, or a file edited in place
// whatever its mtime says, is not) and only block by block as each block
// matches the job's checksums. A copy found to differ is never used
// again while it stays that file: the worker says once which file it is,
// tells the coordinator it no longer holds it, and reads the input from
// a peer or the coordinator. No name from a peer or the coordinator
// reaches the file system: names are looked up in what the worker listed.

package worker

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
)

// maxDataFiles bounds the files of a data directory announced.
const maxDataFiles = 1 << 20

// dataDir is a worker's data directory.
type dataDir struct {
	dir string

	// mu guards held and bad.
	mu   sync.Mutex
	held map[string]manifest.FileKey // inputs of the job held here, by manifest name, as listed
	bad  map[manifest.FileKey]string // copies found to differ from their job's checksums (kept across jobs), and why
}

func newDataDir(dir string) (*dataDir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("mr: data directory %s: %w", dir, unwrapPathErr(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("mr: data directory %s is not a directory", dir)
	}
	return &dataDir{dir: dir, held: map[string]manifest.FileKey{}, bad: map[manifest.FileKey]string{}}, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// list lists the directory's regular files that may be inputs, with
// their keys; a link is not taken (whoever can write the directory could
// otherwise point an input's name at a file they cannot read), nor a copy
// known to differ.
func (d *dataDir) list() ([]protocol.HeldFile, map[string]manifest.FileKey, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("mr: data directory %s: %w", d.dir, unwrapPathErr(err))
	}
	var files []protocol.HeldFile
	keys := make(map[string]manifest.FileKey)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range entries {
		if len(files) == maxDataFiles || !e.Type().IsRegular() || manifest.CheckName(e.Name()) != nil {
			continue
		}
		st, err := os.Lstat(filepath.Join(d.dir, e.Name()))
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		k := manifest.KeyOf(st)
		if _, isBad := d.bad[k]; isBad {
			continue
		}
		files = append(files, protocol.HeldFile{Name: e.Name(), Size: st.Size()})
		keys[e.Name()] = k
	}
	return files, keys, nil
}

// keep records the names the coordinator took as inputs of its job.
func (d *dataDir) keep(names []string, keys map[string]manifest.FileKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = make(map[string]manifest.FileKey, len(names))
	for _, n := range names {
		if k, ok := keys[n]; ok {
			d.held[n] = k
		}
	}
}

// open opens the copy of input name, if it is held here and still the
// file that was listed; nil if not.
func (d *dataDir) open(name string) (*os.File, error) {
	path, want, ok := d.copyOf(name)
	if !ok {
		return nil, nil
	}
	return manifest.OpenCopy(path, want)
}

// copyOf is where the copy of input name is, and its key as it was
// listed, if it is held here. name is a key of held, our own listing: no
// name from elsewhere reaches the file system.
func (d *dataDir) copyOf(name string) (path string, key manifest.FileKey, ok bool) {
	d.mu.Lock()
	key, ok = d.held[name]
	d.mu.Unlock()
	return filepath.Join(d.dir, name), key, ok
}

// forget marks input name's copy as not to be used: it differs from the
// job's checksums (bad, remembered while the file stays as it is) or
// changed since it was listed. It reports whether the copy was held.
func (d *dataDir) forget(name, why string, bad bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.held[name]
	if ok && bad {
		d.bad[k] = why
	}
	delete(d.held, name)
	return ok
}

// holds reports whether input name is held here.
func (d *dataDir) holds(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.held[name]
	return ok
}

// announce tells the coordinator which of the job's inputs this worker
// holds: it asks which of its files are inputs of the job, serves those,
// and only then commits them, so that no peer is sent here for an input
// this worker does not serve yet.
func (w *Worker) announce(ctx context.Context, differs string) error {
	if w.data == nil {
		return nil
	}
	files, keys, err := w.data.list()
	if err != nil {
		return err
	}
	held, err := w.hold(ctx, files, false, differs)
	if err != nil {
		return err
	}
	w.data.keep(held, keys)
	accepted := make([]protocol.HeldFile, 0, len(held))
	for _, f := range files {
		if w.data.holds(f.Name) {
			accepted = append(accepted, f)
		}
	}
	if _, err := w.hold(ctx, accepted, true, ""); err != nil {
		return err
	}
	w.log.Info("inputs held", "worker", w.ID(), "dir", w.data.dir, "files", len(files), "inputs", len(held))
	return nil
}

// hold sends files to the coordinator's Hold in batches, committing them
// or not, and returns the names it took as inputs of the job; the first
// batch names the input whose copy differs, if any.
func (w *Worker) hold(ctx context.Context, files []protocol.HeldFile, commit bool, differs string) ([]string, error) {
	id := w.ID()
	var held []string
	for first := 0; first == 0 || first < len(files); first += protocol.MaxHoldBatch {
		batch := files[first:min(first+protocol.MaxHoldBatch, len(files))]
		var reply *protocol.HoldReply
		err := w.retry(ctx, func() (err error) {
			args := &protocol.HoldArgs{WorkerID: id, First: first == 0, Commit: commit, Files: batch}
			if first == 0 {
				args.Differs = differs
			}
			reply, err = w.coord.Hold(args)
			return err
		})
		if err != nil {
			return nil, err
		}
		held = append(held, reply.Held...)
	}
	return held, nil
}

// dropCopy stops using this worker's copy of input name, saying once
// which file it is and why, and tells the coordinator what it still
// holds.
func (w *Worker) dropCopy(ctx context.Context, name string, err error, bad bool) {
	if !w.data.forget(name, err.Error(), bad) {
		return
	}
	w.log.Warn("input copy not used", "file", filepath.Join(w.data.dir, name), "err", err,
		"note", "read from a peer or the coordinator instead; fix or remove the file")
	differs := ""
	if bad {
		differs = name
	}
	if aerr := w.announce(ctx, differs); aerr != nil {
		w.log.Info("holdings not sent again", "err", aerr)
	}
}
