// content.go: the job's inputs by content: each input's name (its file
// name, what a worker's data directory holds it as), its size and, once
// known, its description in blocks (manifest.File: a CRC-32C and a line
// start per block). A job planned from a manifest knows them from the
// start. A coordinator holding its inputs describes them only when a
// worker first says it holds one (Hold): a job whose workers hold no
// data costs not a byte more to read than before. Until an input is
// described, its map tasks read it from the coordinator, as before.

package coordinator

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/manifest"
)

// jobInputs is the job's inputs: in input order, each one's Split.File
// (a path, or a manifest job's name), name and size, and its description
// once known; the names workers may hold them as; whether the
// coordinator holds them (own) and serves them.
type jobInputs struct {
	bs       int64
	paths    []string
	names    []string
	sizes    []int64
	holdable map[string]int // name -> index, for names workers may hold
	own      bool
	content  []atomic.Pointer[manifest.File]

	want      chan struct{} // closed by the first Hold that names an input: describe them
	wantOnce  sync.Once
	described chan struct{} // closed once every input is described (or found changed)
}

// newJobInputs is the inputs of a coordinator holding them, as files has
// them (input.Tasks), in blocks of bs; nothing is described yet. A name
// two inputs share is left out of those workers may hold, with a warning.
func newJobInputs(inputs []string, files map[string]input.File, bs int64, log warner) *jobInputs {
	in := &jobInputs{bs: bs, paths: inputs, names: make([]string, len(inputs)), sizes: make([]int64, len(inputs)),
		holdable: make(map[string]int, len(inputs)), own: true, content: make([]atomic.Pointer[manifest.File], len(inputs)),
		want: make(chan struct{}), described: make(chan struct{})}
	twice := map[string]bool{}
	for i, path := range inputs {
		in.names[i], in.sizes[i] = filepath.Base(path), files[path].Size
		if _, dup := in.holdable[in.names[i]]; dup || manifest.CheckName(in.names[i]) != nil {
			twice[in.names[i]] = true
		}
		in.holdable[in.names[i]] = i
	}
	for name := range twice {
		delete(in.holdable, name)
		log.Warn("input not looked for on workers", "name", name, "why", "two inputs share this file name, or it is no plain name")
	}
	return in
}

// warner is the part of a logger newJobInputs uses.
type warner interface{ Warn(msg string, args ...any) }

// manifestInputs is the inputs of a job planned from manifest m alone:
// every one described, none held by the coordinator.
func manifestInputs(m *manifest.Manifest) *jobInputs {
	n := len(m.Files)
	in := &jobInputs{bs: m.BlockSize, paths: make([]string, n), names: make([]string, n), sizes: make([]int64, n),
		holdable: m.Index(), content: make([]atomic.Pointer[manifest.File], n),
		want: make(chan struct{}), described: make(chan struct{})}
	for i := range m.Files {
		f := &m.Files[i]
		in.paths[i], in.names[i], in.sizes[i] = f.Name, f.Name, f.Size
		in.content[i].Store(f)
	}
	close(in.described)
	return in
}

// described returns input i's description, nil while it is not known.
func (in *jobInputs) describedAs(i int) *manifest.File { return in.content[i].Load() }

// wanted says that a worker holds some input: the inputs are to be
// described, if they are not yet.
func (in *jobInputs) wanted() { in.wantOnce.Do(func() { close(in.want) }) }

// describeInputs waits until some worker holds an input, then reads each
// input once and describes it, unless the coordinator stops first. An
// input that is no longer the file the job listed is left undescribed:
// serving it fails the job (sendPiece).
func (c *Coordinator) describeInputs() {
	in := c.in
	select {
	case <-in.want:
	case <-c.life.stop:
		return
	case <-in.described:
		return
	}
	select {
	case <-in.described: // a manifest job's are described from the start: select may still have picked want
		return
	default:
	}
	start := time.Now()
	for i, path := range in.paths {
		select {
		case <-c.life.stop:
			return
		default:
		}
		mf, err := describeFile(path, in.names[i], c.files[path], in.bs, c.life.stop)
		if errors.Is(err, errStopping) {
			return
		}
		if err != nil {
			c.log.Warn("input not described", "input", path, "err", err)
			continue
		}
		in.content[i].Store(mf)
	}
	close(in.described)
	c.log.Info("inputs described", "inputs", len(in.paths), "block_size", in.bs, "elapsed", time.Since(start).Round(time.Millisecond).String())
}

// describeFile reads the input at path once and describes it in blocks
// of bs under name, if it is still the file the job listed (was). It
// stops with errStopping once stop is closed.
func describeFile(path, name string, was input.File, bs int64, stop <-chan struct{}) (*manifest.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if dev, ino := input.FileID(st); dev != was.Dev || ino != was.Ino || st.Size() != was.Size || !st.ModTime().Equal(was.ModTime) {
		return nil, fmt.Errorf("no longer the file the job listed")
	}
	mf, err := manifest.Scan(stopReader{io.NewSectionReader(f, 0, was.Size), stop}, name, bs)
	if err != nil {
		return nil, err
	}
	if mf.Size != was.Size {
		return nil, fmt.Errorf("shorter than when the job listed it")
	}
	return &mf, nil
}

// waitDescribed waits until every input is described, at most d, or
// until stop is closed.
func (in *jobInputs) waitDescribed(d time.Duration, stop <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-in.described:
	case <-t.C:
	case <-stop:
	}
}

// errStopping ends a description: the coordinator stops.
var errStopping = errors.New("mr: coordinator stopping")

// stopReader reads r until stop is closed.
type stopReader struct {
	r    io.Reader
	stop <-chan struct{}
}

func (s stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, errStopping
	default:
		return s.r.Read(p)
	}
}
