// mrbench limit: the fused word count, the fastest a job over these bytes could be on this machine.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// limitCmd counts words (maximal runs of Unicode letters, as mrapps/wc)
// in all inputs with one goroutine per core and no framework at all, and
// writes "word count" lines sorted by word: what a hand-written word
// counter achieves, the yardstick for the engine.
func limitCmd(args []string) error {
	fs := flag.NewFlagSet("limit", flag.ExitOnError)
	out := fs.String("o", "", "output `file`")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("limit: want -o OUT inputs...")
	}
	if err := wordCount(fs.Args(), *out, limitConfig{}); err != nil {
		return fmt.Errorf("limit: %w", err)
	}
	return nil
}

// limitConfig tunes wordCount; zero fields take their defaults.
type limitConfig struct {
	workers   int // goroutines; default GOMAXPROCS
	segment   int // bytes of input per task; default 1 MiB
	lookahead int // bytes read at a time past a segment's end; default 4 KiB

	// batchFrom is the table size, in slots, from which lookups are
	// batched; default 1<<19 (16 MiB). Below it a table mostly stays in
	// the caches, where batching costs more than it saves; above it most
	// lookups go to memory.
	batchFrom int
}

func (c limitConfig) withDefaults() limitConfig {
	if c.workers <= 0 {
		c.workers = runtime.GOMAXPROCS(0)
	}
	if c.segment <= 0 {
		c.segment = 1 << 20
	}
	if c.lookahead <= 0 {
		c.lookahead = 4 << 10
	}
	if c.batchFrom <= 0 {
		c.batchFrom = 1 << 19
	}
	return c
}

// wordCount writes to out the count of every word of the inputs, one
// "word count" line per word in bytewise order of words: the bytes of
// mr-wc-all. Each worker counts whole segments of the inputs into a table
// of its own; the tables are then merged, sorted and written in parallel
// ranges of words (merge.go).
func wordCount(inputs []string, out string, cfg limitConfig) error {
	cfg = cfg.withDefaults()
	segs, err := planSegments(inputs, int64(cfg.segment))
	if err != nil {
		return err
	}
	tables := make([]*table, cfg.workers)
	readers := make([]segmentReader, cfg.workers)
	for i := range tables {
		tables[i] = newTable(cfg.batchFrom)
		readers[i].lookahead = cfg.lookahead
	}
	err = parallel(len(segs), cfg.workers, func(worker, i int) error {
		text, err := readers[worker].read(segs[i])
		countWords(text, tables[worker])
		return err
	})
	for i := range readers {
		readers[i].close()
	}
	if err != nil {
		return err
	}
	return writeCounts(out, tables, cfg.workers)
}

// segment is a task of the count: the words that start in [off, end) of
// one input, as cut by segmentReader.
type segment struct {
	path     string
	off, end int64
	size     int64 // the file's size
}

// planSegments cuts every input into segments of at most size bytes. An
// empty file has none.
func planSegments(paths []string, size int64) ([]segment, error) {
	var segs []segment
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", p)
		}
		for off := int64(0); off < fi.Size(); off += size {
			segs = append(segs, segment{p, off, min(off+size, fi.Size()), fi.Size()})
		}
	}
	return segs, nil
}

// parallel calls f(worker, i) for every i in [0, n) on the given number
// of goroutines; a worker's calls never overlap. After the first error no
// more calls start, and that error is returned.
func parallel(n, workers int, f func(worker, i int) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && !failed.Load(); i = int(next.Add(1) - 1) {
				if errs[w] = f(w, i); errs[w] != nil {
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// segmentReader reads segments into a buffer it reuses, keeping the last
// file open for the next segment of the same file.
type segmentReader struct {
	lookahead int
	buf       []byte
	f         *os.File
}

// read returns the text that s owns. A boundary (isBoundary) cuts the
// text: s owns the bytes from the first boundary at or after s.off (from
// the file's start if s.off is 0) to the first boundary at or after s.end
// (to the file's end if there is none). Consecutive segments thus own
// consecutive pieces of the file, cut where no word can be split, and a
// segment whose bytes are all letters owns nothing: its predecessor reads
// on past it.
func (r *segmentReader) read(s segment) ([]byte, error) {
	if err := r.open(s.path); err != nil {
		return nil, err
	}
	b, eof, err := r.readAt(r.buf[:0], s.off, int(s.end-s.off))
	if err != nil {
		return nil, err
	}
	start := 0
	if s.off > 0 {
		if start = indexBoundary(b); start < 0 {
			return nil, nil
		}
	}
	stop := len(b)
	for !eof && s.end < s.size {
		n := len(b)
		if b, eof, err = r.readAt(b, s.off+int64(n), r.lookahead); err != nil {
			return nil, err
		}
		if k := indexBoundary(b[n:]); k >= 0 {
			stop = n + k
			break
		}
		stop = len(b)
	}
	return b[start:stop], nil
}

// readAt appends up to n bytes of the open file, read at off, to b, and
// reports whether it reached the end of the file.
func (r *segmentReader) readAt(b []byte, off int64, n int) ([]byte, bool, error) {
	b = growLen(b, n)
	r.buf = b[:0] // reused by the next read, whatever happens to this one
	k, err := r.f.ReadAt(b[len(b)-n:], off)
	b = b[:len(b)-n+k]
	if err == io.EOF {
		return b, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, false, nil
}

// growLen returns b extended by n bytes, reallocating if need be.
func growLen(b []byte, n int) []byte {
	if len(b)+n > cap(b) {
		nb := make([]byte, len(b), max(len(b)+n, 2*cap(b)))
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// open makes path the reader's open file.
func (r *segmentReader) open(path string) error {
	if r.f != nil && r.f.Name() == path {
		return nil
	}
	r.close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	r.f = f
	return nil
}

func (r *segmentReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// indexBoundary returns the index of the first boundary in b, or -1.
func indexBoundary(b []byte) int {
	for i, c := range b {
		if isBoundary(c) {
			return i
		}
	}
	return -1
}
