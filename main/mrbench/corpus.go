// corpus.go: the benchmark's inputs: sizes as flags give them, corpora
// made once by mrgen and cached, one text cut at line ends into files.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// parseSize reads a number of bytes written plainly or with a binary
// suffix: 48K, 16M, 16MiB, 4G.
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(s), "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			shift, t = 10*(i+1), t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("bad size %q: want bytes, or a number with K, M, G or T", s)
	}
	return n << shift, nil
}

// corpora makes corpora under dir with mrgen, each once: a corpus is
// kept with a .complete mark, and its name carries a hash of the mrgen
// binary, so that corpora of another mrgen are made again.
type corpora struct {
	mrgen string // the mrgen binary
	dir   string
	gen   string // the mrgen binary's hash, in every corpus's name
}

// newCorpora hashes mrgen and removes the corpora of other mrgens.
func newCorpora(mrgen, dir string) (*corpora, error) {
	b, err := os.ReadFile(mrgen)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	c := &corpora{mrgen: mrgen, dir: dir, gen: hex.EncodeToString(sum[:4])}
	old, _ := filepath.Glob(filepath.Join(dir, "corpus-*"))
	for _, d := range old {
		if !strings.HasSuffix(d, "-g"+c.gen) {
			os.RemoveAll(d)
		}
	}
	return c, os.MkdirAll(dir, 0o755)
}

// make returns the files of the corpus named name, made by mrgen with
// args (and -seed 42) if it does not exist yet.
func (c *corpora) make(name string, args ...string) ([]string, error) {
	d := filepath.Join(c.dir, "corpus-"+name+"-g"+c.gen)
	return c.once(d, func() error {
		cmd := exec.Command(c.mrgen, append([]string{"-out", d, "-seed", "42"}, args...)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	})
}

// cut returns text, one file, cut at line ends into n files of about
// equal size, made once under the name name.
func (c *corpora) cut(name, text string, n int) ([]string, error) {
	d := filepath.Join(c.dir, "corpus-"+name+"-g"+c.gen)
	return c.once(d, func() error { return cutFile(text, d, n) })
}

// once makes the corpus d with make unless it is complete, and returns
// its .txt files.
func (c *corpora) once(d string, make func() error) ([]string, error) {
	mark := filepath.Join(d, ".complete")
	if _, err := os.Stat(mark); err != nil {
		fmt.Fprintf(os.Stderr, "bench: generating %s\n", d)
		os.RemoveAll(d)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := make(); err != nil {
			return nil, fmt.Errorf("generating %s: %w", d, err)
		}
		if err := os.WriteFile(mark, nil, 0o644); err != nil {
			return nil, err
		}
	}
	files, err := filepath.Glob(filepath.Join(d, "*.txt"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("corpus %s has no .txt file", d)
	}
	return files, err
}

// cutFile writes text into dir as n files part-00000.txt..., cut at the
// line ends cutPoints gives.
func cutFile(text, dir string, n int) error {
	f, err := os.Open(text)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	cuts, err := cutPoints(f, fi.Size(), n)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%05d.txt", i)))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, io.NewSectionReader(f, cuts[i], cuts[i+1]-cuts[i]))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cutPoints returns n+1 offsets into r's size bytes, from 0 to size: the
// i-th is just past the first '\n' at or after i*size/n and the (i-1)-th
// (or size), about as `split -n l/N` cuts. Only the last parts may be
// empty, when n exceeds the lines.
func cutPoints(r io.ReaderAt, size int64, n int) ([]int64, error) {
	if n < 1 {
		return nil, errors.New("cut into fewer than 1 file")
	}
	cuts := make([]int64, n+1)
	cuts[n] = size
	buf := make([]byte, 64<<10)
	for i := 1; i < n; i++ {
		off := max(int64(i)*size/int64(n), cuts[i-1])
		for off < size {
			k, err := r.ReadAt(buf, off)
			if j := bytes.IndexByte(buf[:k], '\n'); j >= 0 {
				off += int64(j) + 1
				break
			}
			off += int64(k)
			if err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
		}
		cuts[i] = min(off, size)
	}
	return cuts, nil
}
