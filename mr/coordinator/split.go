package coordinator

// The job's input: the files (a folder's regular files, in name order)
// and their map tasks. A file larger than the split size is cut at line
// ends into several tasks; consecutive small files (smaller than
// Config.SmallFile, 128 KiB by default: mapping one costs about what a
// task costs whatever its size) share one task up to the pack size, the
// split size by default (as Hadoop's CombineFileInputFormat does), and
// Map is still called once per file with that file's name. Other files
// are a task each.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"log/slog"

	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
)

// maxPieces bounds the files one map task packs, so that an assignment
// stays small whatever the files' sizes.
const maxPieces = 4096

// inputFile is an input as the job saw it when it cut its map tasks: if
// it changes, its splits no longer hold. A coordinator serving its own
// inputs knows each by identity (device and inode: a name swapped for a
// link to another file is refused) and by content (its manifest entry,
// checked block by block as it is served).
type inputFile struct {
	size     int64
	mtime    time.Time
	dev, ino uint64
	index    int // in the job's manifest
}

// jobInputs is the job's inputs: its manifest (each input's name, size
// and blocks), each input as Split.File names it, and the names a worker
// may hold them as. own says the coordinator holds the inputs and serves
// them; a job planned from a manifest alone does not.
type jobInputs struct {
	man   *manifest.Manifest
	files map[string]inputFile
	names map[string]int // manifest name -> index, for names workers may hold
	own   bool
}

// expandInputs lists the job's input files: each argument is a regular
// file, or a folder whose regular files (not hidden, not in subfolders)
// are taken in name order. Nothing is opened: a named pipe, a device or a
// socket is refused at once, never waited on.
func expandInputs(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("mr: no inputs: name the files (or folders of files) to process")
	}
	var files []string
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("mr: input %s: %w", arg, unwrapPath(err))
		}
		switch {
		case st.IsDir():
			in, err := folderFiles(arg)
			if err != nil {
				return nil, err
			}
			files = append(files, in...)
		case !st.Mode().IsRegular():
			return nil, fmt.Errorf("mr: input %s: not a regular file but %s", arg, fileKind(st.Mode()))
		default:
			files = append(files, arg)
		}
	}
	return files, nil
}

// folderFiles lists a folder's regular files that are not hidden, in
// name order.
func folderFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mr: input folder %s: %w", dir, unwrapPath(err))
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("mr: input folder %s holds no regular file", dir)
	}
	return files, nil
}

// fileKind names what a file that is not regular is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a " + m.Type().String()
}

// cut is one input cut into pieces.
type cut struct {
	pieces []protocol.Split
	size   int64
	small  bool
}

// makeTasks cuts the inputs into map tasks of at most about size bytes
// each (see packTasks), reading each input once to describe it in blocks
// of manifest.DefaultBlockSize. It returns the tasks and each file as it
// saw it.
func makeTasks(inputs []string, size, small, pack int64) ([][]protocol.Split, map[string]inputFile, error) {
	in, tasks, err := planInputs(inputs, size, small, pack, manifest.DefaultBlockSize, nil)
	if err != nil {
		return nil, nil, err
	}
	return tasks, in.files, nil
}

// planInputs reads the job's inputs, describes them by content in blocks
// of bs and cuts them into map tasks. A name two inputs share is left out
// of those workers may hold, with a warning.
func planInputs(inputs []string, size, small, pack, bs int64, log *slog.Logger) (*jobInputs, [][]protocol.Split, error) {
	in := &jobInputs{man: &manifest.Manifest{BlockSize: bs}, files: make(map[string]inputFile, len(inputs)),
		names: make(map[string]int, len(inputs)), own: true}
	cuts := make([]cut, len(inputs))
	twice := map[string]bool{}
	for i, name := range inputs {
		pieces, st, mf, err := cutFile(name, size, bs)
		if err != nil {
			return nil, nil, err
		}
		st.index = i
		in.files[name], in.man.Files = st, append(in.man.Files, mf)
		cuts[i] = cut{pieces, st.size, len(pieces) == 1 && st.size < small}
		if _, dup := in.names[mf.Name]; dup || manifest.CheckName(mf.Name) != nil {
			twice[mf.Name] = true
		}
		in.names[mf.Name] = i
	}
	for name := range twice {
		delete(in.names, name)
		if log != nil {
			log.Warn("input not looked for on workers", "name", name, "why", "two inputs share this file name, or it is no plain name")
		}
	}
	return in, packTasks(cuts, pack), nil
}

// planManifest cuts a job planned from a manifest alone into map tasks:
// each input cut at line starts the manifest records (manifest.Cut, the
// split size rounded up to whole blocks), small ones packed as usual.
// Split.File is each input's manifest name.
func planManifest(m *manifest.Manifest, size, small, pack int64) (*jobInputs, [][]protocol.Split) {
	in := &jobInputs{man: m, files: make(map[string]inputFile, len(m.Files)), names: m.Index()}
	cuts := make([]cut, len(m.Files))
	for i := range m.Files {
		f := &m.Files[i]
		in.files[f.Name] = inputFile{size: f.Size, index: i}
		var pieces []protocol.Split
		for _, p := range manifest.Cut(f, m.BlockSize, size) {
			pieces = append(pieces, protocol.Split{File: f.Name, Offset: p[0], Length: p[1]})
		}
		cuts[i] = cut{pieces, f.Size, len(pieces) == 1 && f.Size < small}
	}
	return in, packTasks(cuts, pack)
}

// packTasks makes map tasks of cut inputs, in input order, each task a
// list of line-aligned pieces of files (protocol.Split): files smaller
// than small share tasks of up to pack bytes, a run of them cut into as
// few tasks as pack allows, of about equal sizes (96 MiB of small files
// with a pack of 64 MiB make two tasks of 48 MiB, not 64 and 32, which
// would leave one worker waiting for the other).
func packTasks(cuts []cut, pack int64) [][]protocol.Split {
	var tasks [][]protocol.Split
	for i := 0; i < len(cuts); {
		if !cuts[i].small {
			for _, p := range cuts[i].pieces {
				tasks = append(tasks, []protocol.Split{p})
			}
			i++
			continue
		}
		end, total := i, int64(0) // the run of small files cuts[i:end]
		for ; end < len(cuts) && cuts[end].small; end++ {
			total += cuts[end].size
		}
		// Task k of n takes the files that start in the k-th n-th of
		// the run: each holds about total/n bytes, a file more at most.
		n := max(1, (total+pack-1)/pack)
		var packed []protocol.Split
		var start, k int64
		for ; i < end; i++ {
			if kk := n * start / max(total, 1); len(packed) > 0 && (kk != k || len(packed) == maxPieces) {
				tasks = append(tasks, packed)
				packed, k = nil, kk
			}
			packed, start = append(packed, cuts[i].pieces[0]), start+cuts[i].size
		}
		tasks = append(tasks, packed)
	}
	return tasks
}

// cutFile reads one input once, describing it in blocks of bs (its
// manifest entry, under its file name), and cuts it into line-aligned
// byte ranges: a file no larger than size is one (an empty file too: Map
// still sees its name); a larger one is cut at the first line end at or
// after every size bytes, so each piece holds whole lines, a line longer
// than size stays whole, and no byte is in two pieces.
func cutFile(name string, size, bs int64) ([]protocol.Split, inputFile, manifest.File, error) {
	fail := func(err error) ([]protocol.Split, inputFile, manifest.File, error) {
		return nil, inputFile{}, manifest.File{}, fmt.Errorf("mr: input %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fail(unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		return fail(fmt.Errorf("not a regular file but %s", fileKind(st.Mode())))
	}
	if _, err := f.Read(make([]byte, 1)); err != nil && err != io.EOF {
		return fail(unwrapPath(err))
	}
	total := st.Size()
	mf, err := manifest.Scan(io.NewSectionReader(f, 0, total), filepath.Base(name), bs)
	if err != nil {
		return fail(unwrapPath(err))
	}
	if mf.Size != total {
		return fail(fmt.Errorf("changed while it was read (%d bytes, then %d)", total, mf.Size))
	}
	var pieces []protocol.Split
	buf := make([]byte, 4096)
	for start := int64(0); start < total || len(pieces) == 0; {
		end := total
		if start+size < total {
			if end, err = lineEnd(f, start+size-1, total, buf); err != nil {
				return fail(err)
			}
		}
		pieces = append(pieces, protocol.Split{File: name, Offset: start, Length: end - start})
		start = end
	}
	dev, ino := fileID(st)
	return pieces, inputFile{size: total, mtime: st.ModTime(), dev: dev, ino: ino}, mf, nil
}

// fileID is a file's device and inode.
func fileID(st fs.FileInfo) (dev, ino uint64) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Dev), sys.Ino
	}
	return 0, 0
}

// lineEnd returns the offset just past the first '\n' at or after off,
// or total if there is none. buf is scratch space.
func lineEnd(f *os.File, off, total int64, buf []byte) (int64, error) {
	for off < total {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), total-off)], off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break // the file shrank under us
		}
		off += int64(n)
	}
	return total, nil
}

// unwrapPath drops the *PathError wrapper, whose text repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// taskInput describes a map task's input for people: "a.txt", "big.txt
// [0, 67108864)" for a piece of a larger file, "a.txt … z.txt (40 files)".
func taskInput(pieces []protocol.Split, files map[string]inputFile) string {
	first := pieces[0]
	switch {
	case len(pieces) > 1:
		return fmt.Sprintf("%s … %s (%d files)", first.File, pieces[len(pieces)-1].File, len(pieces))
	case first.Offset == 0 && first.Length == files[first.File].size:
		return first.File
	}
	return fmt.Sprintf("%s [%d, %d)", first.File, first.Offset, first.Offset+first.Length)
}

// taskSize is the bytes of a map task's input.
func taskSize(pieces []protocol.Split) int64 {
	var n int64
	for _, p := range pieces {
		n += p.Length
	}
	return n
}
