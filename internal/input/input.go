// Package input is a job's input: the files named on the command line
// and their cutting into map tasks. The coordinator and mrsequential (and
// so scripts/cluster.sh) take their inputs through it, so that one rule
// holds everywhere and Map is called on the same pieces of the same files.
//
// An input is a regular file, or a folder: its regular files, in name
// order; a folder's other entries (subfolders, hidden files, links,
// pipes, devices, sockets) are skipped, and named in one line. A file
// whose first block holds a NUL byte is not text and is refused, unless
// the job reads bytes (Options.Binary).
//
// Map tasks are sized by bytes, not by files: a file larger than the
// split size is cut at line ends into several tasks (a last piece under a
// tenth of the split size stays with the one before it, as Hadoop's
// SPLIT_SLOP); consecutive smaller files (smaller than Options.Small, by
// default the split size) share tasks of up to Options.Pack bytes (as
// Hadoop's CombineFileInputFormat does), and Map is still called once per
// file with that file's name. An app that needs each file whole
// (Options.WholeFiles) gets every file in one piece, however large.
package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
)

// maxPieces bounds the files one map task packs, so that an assignment
// stays small whatever the files' sizes.
const maxPieces = 4096

// DefaultSplit is the split size of the coordinator and mrsequential
// unless told otherwise.
const DefaultSplit = 64 << 20

// textBlock is how much of a file's start is looked at for a NUL byte.
const textBlock = 4096

// File is an input as the job saw it when it cut its map tasks: if it
// changes, its splits no longer hold. Dev and Ino are its identity (a
// name swapped for another file, or a link to one, is not it); Index is
// its place among the job's inputs.
type File struct {
	Size     int64
	ModTime  time.Time
	Dev, Ino uint64
	Index    int
}

// Options says how inputs are cut into map tasks (sizes in bytes) and
// which files are accepted.
type Options struct {
	Split      int64 // a file larger than this is cut at line ends into pieces of about this size
	Small      int64 // files smaller than this (0: than Split) share tasks...
	Pack       int64 // ...of up to this many bytes (0: Split; 1: never)
	WholeFiles bool  // never cut a file: the app needs each whole (it exports WholeFiles)
	Binary     bool  // accept files that are not text (a NUL byte in the first block)
}

// Expand lists the job's input files: each argument is a regular file,
// or a folder whose regular files that are not hidden are taken in name
// order. Each folder whose other entries it skipped gets a line in notes
// naming them. Nothing is opened: a named pipe, a device or a socket is
// refused at once, never waited on.
func Expand(args []string) (files, notes []string, err error) {
	if len(args) == 0 {
		return nil, nil, errors.New("mr: no inputs: name the files (or folders of files) to process")
	}
	sts, errs := make([]fs.FileInfo, len(args)), make([]error, len(args))
	eachInput(len(args), func(i int) bool {
		sts[i], errs[i] = os.Stat(args[i])
		return errs[i] == nil
	})
	for i, arg := range args {
		st, err := sts[i], errs[i]
		if err != nil {
			return nil, nil, fmt.Errorf("mr: input %s: %w", arg, unwrapPath(err))
		}
		switch {
		case st.IsDir():
			in, note, err := folderFiles(arg)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, in...)
			if note != "" {
				notes = append(notes, note)
			}
		case !st.Mode().IsRegular():
			return nil, nil, fmt.Errorf("mr: input %s: not a regular file but %s", arg, fileKind(st.Mode()))
		default:
			files = append(files, arg)
		}
	}
	return files, notes, nil
}

// maxNamed bounds the skipped entries a note names one by one.
const maxNamed = 5

// folderFiles lists a folder's regular files that are not hidden, in
// name order, and a note naming the entries it skipped ("" if none).
func folderFiles(dir string) ([]string, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", fmt.Errorf("mr: input folder %s: %w", dir, unwrapPath(err))
	}
	var files, skipped []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
			skipped = append(skipped, e.Name()+" (hidden)")
		case e.IsDir():
			skipped = append(skipped, e.Name()+" (a folder: its files are not read)")
		case !e.Type().IsRegular():
			skipped = append(skipped, e.Name()+" ("+fileKind(e.Type())+")")
		default:
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("mr: input folder %s holds no regular file", dir)
	}
	return files, skippedNote(dir, skipped), nil
}

// skippedNote is the line naming a folder's skipped entries: "mr: input
// folder in: skipped sub (a folder: its files are not read), fifo (a
// named pipe)", the first few by name.
func skippedNote(dir string, skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	more := ""
	if len(skipped) > maxNamed {
		more = fmt.Sprintf(" and %d more", len(skipped)-maxNamed)
		skipped = skipped[:maxNamed]
	}
	return "mr: input folder " + dir + ": skipped " + strings.Join(skipped, ", ") + more
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

// Tasks cuts the inputs into map tasks of at most about opt.Split bytes
// each (or whole files, with opt.WholeFiles), in input order, each task a
// list of line-aligned pieces of files (protocol.Split): files smaller
// than opt.Small (opt.Split if 0) share tasks of up to opt.Pack bytes
// (opt.Split if 0), a run of them cut into as few tasks as the pack size
// allows, of about equal sizes (96 MiB of small files with a pack of 64
// MiB make two tasks of 48 MiB, not 64 and 32, which would leave one
// worker waiting for the other). It returns the tasks and each file as it
// saw it.
func Tasks(inputs []string, opt Options) ([][]protocol.Split, map[string]File, error) {
	size := opt.Split
	if opt.WholeFiles {
		size = math.MaxInt64
	}
	type result struct {
		pieces []protocol.Split
		st     File
		err    error
	}
	results := make([]result, len(inputs))
	eachInput(len(inputs), func(i int) bool {
		r := &results[i]
		r.pieces, r.st, r.err = cutFile(inputs[i], size, opt.Binary)
		return r.err == nil
	})
	cuts := make([]cut, len(inputs))
	files := make(map[string]File, len(inputs))
	for i, name := range inputs {
		r := &results[i]
		if r.err != nil {
			return nil, nil, r.err
		}
		r.st.Index = i
		files[name] = r.st
		cuts[i] = cut{r.pieces, r.st.Size, len(r.pieces) == 1 && r.st.Size < opt.small()}
	}
	return pack(cuts, opt), files, nil
}

// cutters is how many inputs eachInput looks at at once: a stat, or
// opening and reading the first block of a file, is a few system calls,
// which on a cold disk or a network file system wait on the device, and
// thousands of small files are common.
const cutters = 8

// eachInput calls do(i) for i in [0, n), up to cutters at once, taking
// the indexes in increasing order. Once a call returns false no further
// index is taken; every index below it has been taken, and completes, so
// the caller finds the first failure in input order as a loop would.
func eachInput(n int, do func(i int) bool) {
	if n < 2*cutters {
		for i := range n {
			if !do(i) {
				return
			}
		}
		return
	}
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range cutters {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if !do(i) {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
}

// ManifestTasks cuts a job's inputs into map tasks from their manifest
// alone, as Tasks does from the files: each input cut at the line starts
// the manifest records (manifest.Cut: the split size rounded up to whole
// blocks), small ones packed. Split.File is each input's manifest name.
func ManifestTasks(m *manifest.Manifest, opt Options) ([][]protocol.Split, map[string]File) {
	cuts := make([]cut, len(m.Files))
	files := make(map[string]File, len(m.Files))
	for i := range m.Files {
		f := &m.Files[i]
		files[f.Name] = File{Size: f.Size, Index: i}
		ranges := [][2]int64{{0, f.Size}}
		if !opt.WholeFiles {
			ranges = manifest.Cut(f, m.BlockSize, opt.Split)
		}
		var pieces []protocol.Split
		for _, r := range ranges {
			pieces = append(pieces, protocol.Split{File: f.Name, Offset: r[0], Length: r[1]})
		}
		cuts[i] = cut{pieces, f.Size, len(pieces) == 1 && f.Size < opt.small()}
	}
	return pack(cuts, opt), files
}

// cut is one input cut into pieces.
type cut struct {
	pieces []protocol.Split
	size   int64
	small  bool
}

// small is the size under which a file is packed with others.
func (opt Options) small() int64 {
	if opt.Small <= 0 {
		return opt.Split
	}
	return opt.Small
}

// pack makes map tasks of cut inputs, in input order (see Tasks).
func pack(cuts []cut, opt Options) [][]protocol.Split {
	limit := opt.Pack
	if limit <= 0 {
		limit = opt.Split
	}
	var tasks [][]protocol.Split
	for i := 0; i < len(cuts); {
		if !cuts[i].small {
			for _, p := range cuts[i].pieces {
				tasks = append(tasks, []protocol.Split{p})
			}
			i++
			continue
		}
		end := i // the run of small files cuts[i:end]
		for end < len(cuts) && cuts[end].small {
			end++
		}
		tasks = append(tasks, packRun(cuts[i:end], limit)...)
		i = end
	}
	return tasks
}

// packRun packs a run of small files into as few tasks as limit allows,
// of about equal sizes: with n tasks, task k takes the files whose middle
// byte falls in the k-th n-th of the run, so each holds about total/n
// bytes. As a file is cut (manifest.Cuttable), a task may pass limit by a
// tenth: 256 MiB and a few bytes in files of 16 MiB make 4 tasks of 4
// files, not 5 of 3 or 4. A task never holds more than that (nor
// maxPieces files) unless one file alone does.
func packRun(run []cut, limit int64) [][]protocol.Split {
	var total int64
	for _, c := range run {
		total += c.size
	}
	limit = satAdd(limit, limit/10)
	n := max(1, total/limit+min(1, total%limit))
	var tasks [][]protocol.Split
	var packed []protocol.Split
	var start, held, k int64
	for _, c := range run {
		kk := middleShare(n, start, c.size, total)
		if len(packed) > 0 && (kk != k || held+c.size > limit || len(packed) == maxPieces) {
			tasks = append(tasks, packed)
			packed, held = nil, 0
		}
		k, packed = kk, append(packed, c.pieces[0])
		start, held = start+c.size, held+c.size
	}
	return append(tasks, packed)
}

// middleShare is which n-th of total holds the middle of the bytes
// [start, start+size): k such that k*total/n < middle <= (k+1)*total/n,
// 0 for a middle at 0 (an empty file first); computed without overflow,
// in half bytes.
func middleShare(n, start, size, total int64) int64 {
	if total <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(n), uint64(2*start+size))
	q, r := bits.Div64(hi, lo, uint64(2*total))
	if r == 0 {
		return max(int64(q)-1, 0)
	}
	return int64(q)
}

// satAdd is a+b, or math.MaxInt64 if that overflows.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// FileID is a file's device and inode.
func FileID(st fs.FileInfo) (dev, ino uint64) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Dev), sys.Ino
	}
	return 0, 0
}

// cutFile cuts one input into line-aligned byte ranges: a file no larger
// than size is one (an empty file too: Map still sees its name); a larger
// one is cut at the first line end at or after every size bytes, so each
// piece holds whole lines, a line longer than size stays whole, and no
// byte is in two pieces; a last piece under a tenth of size stays with
// the one before it (manifest.Cuttable).
//
// Unless binary, a file with a NUL byte in its first block is refused: it
// is not text (an executable, an image, a compressed file).
func cutFile(name string, size int64, binary bool) ([]protocol.Split, File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, File{}, fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, File{}, fmt.Errorf("mr: input %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, File{}, fmt.Errorf("mr: input %s: not a regular file but %s", name, fileKind(st.Mode()))
	}
	buf := make([]byte, textBlock)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, File{}, fmt.Errorf("mr: input %s: %w", name, unwrapPath(err))
	}
	if i := bytes.IndexByte(buf[:n], 0); i >= 0 && !binary {
		return nil, File{}, fmt.Errorf("mr: input %s: not text (a NUL byte at offset %d); "+
			"if the app reads bytes, give the job -binary", name, i)
	}
	total := st.Size()
	var pieces []protocol.Split
	for start := int64(0); start < total || len(pieces) == 0; {
		end := total
		if manifest.Cuttable(total-start, size) {
			if end, err = lineEnd(f, start+size-1, total, buf); err != nil {
				return nil, File{}, fmt.Errorf("mr: input %s: %w", name, err)
			}
		}
		pieces = append(pieces, protocol.Split{File: name, Offset: start, Length: end - start})
		start = end
	}
	dev, ino := FileID(st)
	return pieces, File{Size: total, ModTime: st.ModTime(), Dev: dev, Ino: ino}, nil
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
