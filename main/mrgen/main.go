// Mrgen writes a deterministic text corpus for MapReduce tests and
// benchmarks.
//
// Usage:
//
//	mrgen [-out DIR] [-files 8 | -total BYTES] [-size 200000] [-seed 1]
//	      [-prefix input-] [-vocab 50000] [-zipf 1.1] [-crlf-every 0]
//	mrgen -records N [-out DIR] [-files F | -size BYTES] [-seed 1] [-prefix input-]
//
// With -records, it writes N sort records instead of text, as TeraGen
// does for TeraSort but as lines (the sort app's input): 100 bytes each,
// a unique pseudo-random 10-byte key of printable ASCII, a space, the
// record's number in hex, a space, filler and a newline; over F files,
// or files of about -size bytes.
//
// It writes DIR/<prefix><i>.txt for i = 1..files, creating DIR if needed.
// Each file is text of about size bytes, ending at the first line end at or
// past size. With -total, the number of files is instead the fewest of
// -size bytes that reach the total: -total 96M -size 48K writes 2048 files,
// -total 96M -size 32M three. Sizes are bytes, or a number with a K, M or G
// suffix (powers of 1024). Lines hold 5 to 15 space-separated tokens: made-up words drawn
// from a vocabulary of -vocab words with Zipf-distributed ranks (exponent
// -zipf), with occasional commas, periods, quotes, apostrophes, hyphens and
// numbers. About 10% of the words contain non-ASCII letters (é, ü, ß, ø,
// ñ, ç, Cyrillic, Greek) and some are capitalised variants of others. With
// -crlf-every N > 0 every Nth line ends in "\r\n" instead of "\n".
//
// The vocabulary depends only on -vocab; file i's text is seeded by
// seed+i. The same flags give the same bytes on every run and machine, and
// a file's bytes do not depend on how many files there are. Files are
// generated on all cores; a vocabulary of a million words takes about half
// a second and 16 MB. Each file is written to a hidden temporary name in DIR and renamed into
// place, so a reader never sees a partial input.
//
// Exit status: 0 on success, 2 for bad flags, 1 if writing fails; errors
// are reported as one "mrgen: ..." line on standard error.
package main

import (
	"mapreduce/internal/atomicfile"

	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// maxVocab and maxFiles bound -vocab and the number of files so that a
// typo cannot exhaust memory or the file system.
const (
	maxVocab = 10_000_000
	maxFiles = 1_000_000
)

// config holds the command line, validated by parseFlags.
type config struct {
	out       string
	files     int
	size      int64
	total     int64 // if > 0, files is derived from it
	seed      uint64
	prefix    string
	vocab     int
	zipf      float64
	crlfEvery int
	records   int64 // -records: sort records instead of text
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its environment passed in; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs, cfg := newFlagSet()
	err := parseFlags(fs, cfg, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "mrgen: %v\n", err)
		return 2
	}
	write := writeCorpus
	if cfg.records > 0 {
		write = writeRecordCorpus
	}
	if err := write(*cfg); err != nil {
		fmt.Fprintf(stderr, "mrgen: %v\n", err)
		return 1
	}
	return 0
}

// newFlagSet defines the flags, with their defaults, into the returned
// config. Parse errors are returned, not printed.
func newFlagSet() (*flag.FlagSet, *config) {
	cfg := &config{}
	fs := flag.NewFlagSet("mrgen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: mrgen [flags]")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.out, "out", ".", "output `directory`, created if missing")
	fs.IntVar(&cfg.files, "files", 8, "number of files")
	cfg.size = 200000
	fs.Var((*byteSize)(&cfg.size), "size", "approximate size of each file in `bytes` (or with K, M, G)")
	fs.Var((*byteSize)(&cfg.total), "total", "write as many files of -size as it takes to reach this many `bytes`, instead of -files")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed; file i uses seed+i")
	fs.StringVar(&cfg.prefix, "prefix", "input-", "file names are <prefix><i>.txt")
	fs.IntVar(&cfg.vocab, "vocab", 50000, "number of distinct words")
	fs.Float64Var(&cfg.zipf, "zipf", 1.1, "Zipf exponent of word ranks, > 1")
	fs.IntVar(&cfg.crlfEvery, "crlf-every", 0, "end every `N`th line with \\r\\n; 0 for never")
	fs.Int64Var(&cfg.records, "records", 0, "write `N` sort records of 100 bytes (a 10-byte key) instead of text, over -files files or files of -size bytes")
	return fs, cfg
}

// parseFlags parses args with fs, which defines its flags into cfg, and
// checks the values.
func parseFlags(fs *flag.FlagSet, cfg *config, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch c := *cfg; {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.files < 1 || c.files > maxFiles:
		return fmt.Errorf("-files %d: must be between 1 and %d", c.files, maxFiles)
	case c.size < 1:
		return fmt.Errorf("-size %d: must be at least 1", c.size)
	case c.vocab < 1 || c.vocab > maxVocab:
		return fmt.Errorf("-vocab %d: must be between 1 and %d", c.vocab, maxVocab)
	case !(c.zipf > 1) || math.IsInf(c.zipf, 1):
		return fmt.Errorf("-zipf %v: must be a finite number greater than 1", c.zipf)
	case c.crlfEvery < 0:
		return fmt.Errorf("-crlf-every %d: must not be negative", c.crlfEvery)
	case c.records < 0 || c.records > maxRecords:
		return fmt.Errorf("-records %d: must be between 1 and %d", c.records, int64(maxRecords))
	case strings.ContainsRune(c.prefix, '/') || strings.ContainsRune(c.prefix, filepath.Separator):
		return fmt.Errorf("-prefix %q: must not contain a path separator", c.prefix)
	}
	return filesFromTotal(fs, cfg)
}

// filesFromTotal sets cfg.files from -total and -size if -total was given.
func filesFromTotal(fs *flag.FlagSet, cfg *config) error {
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.records > 0 {
		if set["total"] {
			return errors.New("-records and -total: give one or the other")
		}
		if cfg.files = recordFiles(*cfg, set["files"]); cfg.files > maxFiles {
			return fmt.Errorf("-records %d: %d files, more than %d (give a larger -size)", cfg.records, cfg.files, maxFiles)
		}
		return nil
	}
	switch {
	case !set["total"]:
		return nil
	case set["files"]:
		return errors.New("-files and -total: give one or the other")
	case cfg.total < 1:
		return fmt.Errorf("-total %d: must be at least 1", cfg.total)
	}
	n := (cfg.total + cfg.size - 1) / cfg.size
	if n > maxFiles {
		return fmt.Errorf("-total %d -size %d: %d files, more than %d", cfg.total, cfg.size, n, maxFiles)
	}
	cfg.files = int(n)
	return nil
}

// writeCorpus writes every file of cfg, one goroutine per core taking the
// next file. After a failure no more files are started; the error of the
// first file that failed is returned.
func writeCorpus(cfg config) error {
	if err := os.MkdirAll(cfg.out, 0o777); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	v := newVocabulary(cfg.vocab)
	return eachFile(cfg.files, func(i int) error { return writeFile(filePath(cfg, i), v, fileParams(cfg, i)) })
}

// eachFile calls write for files 1..n, one goroutine per core taking the
// next file. After a failure no more files are started; the error of the
// first file that failed is returned.
func eachFile(n int, write func(i int) error) error {
	errs := make([]error, n+1) // errs[i] is file i's
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(workers(), n) {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n && !failed.Load(); i = int(next.Add(1)) {
				if errs[i] = write(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeRecordCorpus writes cfg's sort records into its directory.
func writeRecordCorpus(cfg config) error {
	if err := os.MkdirAll(cfg.out, 0o777); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	return writeRecords(cfg)
}

// workers is how many files are written at once: one per core.
func workers() int { return runtime.GOMAXPROCS(0) }

// filePath returns the path of file i of cfg.
func filePath(cfg config, i int) string {
	return filepath.Join(cfg.out, fmt.Sprintf("%s%d.txt", cfg.prefix, i))
}

// fileParams returns the parameters of file i of cfg.
func fileParams(cfg config, i int) params {
	return params{size: cfg.size, seed: cfg.seed + uint64(i), zipf: cfg.zipf, crlfEvery: cfg.crlfEvery}
}

// writeFile generates one file under a hidden temporary name next to path
// and renames it into place; on failure it removes the temporary file.
func writeFile(path string, v *vocabulary, p params) error {
	f, err := atomicfile.CreateUnsynced(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := generate(bw, v, p); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
