// bench.go: the benchmark's command line (mrbench bench, which
// scripts/bench.sh runs) and its plan.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// benchUsage is mrbench bench -h (and scripts/bench.sh -h).
const benchUsage = `usage: bench.sh [flags]     (mrbench bench [flags] after the build)

Measures the engine on generated corpora, each row a command beside its
reference in alternating pairs (command, reference, command, ... -rounds
of each, after -warmup unrecorded pairs), and prints per row both medians
with their min–max, the median and min–max of the pairs' ratios, the
ratio of median CPU times, and the peak RSS of the workers (their app's
process included) and the coordinator (wait4's rusage). Not a
test: nothing passes or fails on time, but every output is checked (the
limit's, mrsequential's, sort | uniq -c's): a difference stops the run,
exit 1.

Rows, by default:
  wc on each layout: a coordinator and -workers workers on loopback (each
      its own process and directory) beside mrbench limit (a fused word
      count on all cores, the practical limit) on the same bytes; a
      layout N is one text of -size (256 MiB) cut at line ends into N
      files, so 1,4,16,128,2048 is the same bytes in every cut;
      large is files of 64 MiB, small is 96 MiB (or -size) in files of
      -small-file (48 KiB). On small, also wc -journal beside wc.
      mrsequential runs once per corpus and app, checked too.
  R = 5,000: wc over 2 MB in 4 files, 3 workers, -nreduce 5000 beside
      -nreduce 4, and the ms of job time per extra reduce task.
  uniq (every line a key) on the 1-file text, plain and -total-order,
      beside LC_ALL=C sort -S 4G --parallel=2 | uniq -c.
  the coordinator: 100,000 no-op tasks to 50 simulated workers (go test -bench).

Corpora (Zipf words of mrgen, some non-ASCII, seed 42) are made once in
mr-bench/, keyed by their parameters and mrgen's binary.

-model SIZE: only the paper's benchmarks on SIZE of input: grep (map-only,
  -param pattern) beside grep -c, its matches checked against grep -n;
  sort (100-byte records, -total-order -nreduce 8) beside LC_ALL=C sort
  --parallel=2, checked byte for byte; with MB/s per core.
-against DIR: a build against another (its bin/, built by scripts/build.sh
  -out DIR): each wc and uniq row's reference becomes the same job on DIR's
  binaries and plugins, alternating with this build's, the ratio this
  build's time over DIR's; every output is still checked against the
  limit's or sort | uniq -c's, run once first, unrecorded.
-stream SIZE: only streaming against plugins on SIZE in files of 64 MiB:
  identity (mapper and reducer cat, pool workers) beside identity.so, and
  a Python word count beside wc.so (1 round, no warm-up: it maps about
  1 MB/s; not with -no-python or without python3).

Flags:
`

// config is the benchmark's flags.
type config struct {
	vocabs                    []int
	layouts                   []string
	size, smallFile           int64 // 0: the defaults (256 MiB, 96 MiB for small)
	apps                      []string
	workers, rounds, warmup   int
	sequential, manyReduces   bool
	coordinator, uniq, python bool
	workerData                bool // a row of wc with the inputs on the workers, per layout
	cold                      bool // the inputs dropped from the page cache before every run
	model, stream             int64
	bin, work, root           string
	against                   string // another build's binaries: the wc and uniq rows' reference
}

// rawFlags are the flags that config holds parsed.
type rawFlags struct {
	vocabs, layouts, size, small, apps, model, stream string
	noSeq, noMany, noCoord, noUniq, noPy              bool
}

// parseConfig reads mrbench bench's flags.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	var r rawFlags
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line, from benchCmd
	fs.StringVar(&r.vocabs, "vocab", "200000", "vocabulary `sizes`, one corpus each (20000 gives about 38,000 distinct words per 64 MiB, 200000 about 250,000)")
	fs.StringVar(&r.layouts, "layout", "1,4,16,128,2048,small", "file `layouts`, one corpus each: N (one text cut into N files), large, small; '' for none")
	fs.StringVar(&r.size, "size", "", "total `bytes` of every corpus (with K, M, G), e.g. 16M for a quick check (default 256M, 96M for small)")
	fs.StringVar(&r.small, "small-file", "48K", "file `size` of the small layout")
	fs.StringVar(&r.apps, "apps", "wc", "`apps` run on each layout: wc (with a combiner), wcraw (none: every record shuffled)")
	fs.BoolVar(&c.workerData, "worker-data", false, "also wc with every input on every worker (-data), the coordinator planning from a manifest, per layout")
	fs.BoolVar(&c.cold, "cold", false, "drop the inputs of the wc (held too) and uniq rows from the page cache before every run of either side: a job on inputs read from the disk (where the file system drops them)")
	fs.IntVar(&c.workers, "workers", 2, "workers of the cluster (one per core)")
	fs.IntVar(&c.rounds, "rounds", 5, "recorded pairs per row")
	fs.IntVar(&c.warmup, "warmup", 1, "unrecorded pairs before them")
	fs.BoolVar(&r.noSeq, "no-sequential", false, "skip mrsequential (~30 s and 3.5 GiB of RSS per 256 MiB)")
	fs.BoolVar(&r.noMany, "no-many-reduces", false, "skip R = 5,000")
	fs.BoolVar(&r.noCoord, "no-coordinator", false, "skip the coordinator benchmark")
	fs.BoolVar(&r.noUniq, "no-uniq", false, "skip uniq beside sort | uniq -c")
	fs.StringVar(&r.model, "model", "", "only the paper's grep and sort on `SIZE` of input")
	fs.StringVar(&r.stream, "stream", "", "only streaming against plugins on `SIZE` of text")
	fs.BoolVar(&r.noPy, "no-python", false, "with -stream: skip the Python word count")
	fs.StringVar(&c.bin, "bin", "bin", "`directory` of the built binaries and plugins")
	fs.StringVar(&c.against, "against", "", "`directory` of another build's binaries and plugins: the wc and uniq rows pair this build with it, not with the limit or sort")
	fs.StringVar(&c.work, "work", "mr-bench", "`directory` of corpora and runs")
	fs.StringVar(&c.root, "root", ".", "the repository (for go test -bench)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, benchUsage)
			fs.PrintDefaults()
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if err := c.set(r); err != nil {
		return c, err
	}
	return c, c.check()
}

// set fills c from the flags r.
func (c *config) set(r rawFlags) error {
	c.sequential, c.manyReduces, c.coordinator, c.uniq, c.python = !r.noSeq, !r.noMany, !r.noCoord, !r.noUniq, !r.noPy
	c.apps = strings.Split(r.apps, ",")
	if r.layouts != "" { // -layout '': none, for the other rows alone
		c.layouts = strings.Split(r.layouts, ",")
	}
	for _, p := range []struct {
		name, v string
		to      *int64
	}{{"-size", r.size, &c.size}, {"-small-file", r.small, &c.smallFile}, {"-model", r.model, &c.model}, {"-stream", r.stream, &c.stream}} {
		if p.v == "" {
			continue
		}
		var err error
		if *p.to, err = parseSize(p.v); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	var err error
	c.vocabs, err = parseVocabs(r.vocabs)
	return err
}

// parseVocabs reads -vocab: positive numbers of words, comma-separated.
func parseVocabs(s string) ([]int, error) {
	var vs []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-vocab %s: want a number of words", f)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// check validates the flags that parseConfig did not.
func (c config) check() error {
	for _, l := range c.layouts {
		if n, err := strconv.Atoi(l); l != "large" && l != "small" && (err != nil || n < 1) {
			return fmt.Errorf("-layout %s: want large, small or a number of files", l)
		}
	}
	for _, a := range c.apps {
		if a != "wc" && a != "wcraw" {
			return fmt.Errorf("-apps %s: want wc or wcraw", a)
		}
	}
	switch {
	case c.workers < 1:
		return errors.New("-workers: want at least 1")
	case c.rounds < 1:
		return errors.New("-rounds: want at least 1")
	case c.warmup < 0:
		return errors.New("-warmup: want 0 or more")
	case c.against != "" && (c.model > 0 || c.stream > 0):
		return errors.New("-against: the wc and uniq rows only, not -model or -stream")
	}
	return nil
}

// bench is one run of the benchmark.
type bench struct {
	cfg  config
	bin  string // absolute
	run  string // where runs happen: work/run
	corp *corpora
	out  io.Writer // the tables
	log  io.Writer // progress
}

// benchCmd is mrbench bench.
func benchCmd(args []string) error {
	cfg, err := parseConfig(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := runBench(cfg); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// runBench runs what cfg asks for.
func runBench(cfg config) error {
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return err
	}
	work, err := filepath.Abs(cfg.work)
	if err != nil {
		return err
	}
	corp, err := newCorpora(filepath.Join(bin, "mrgen"), work)
	if err != nil {
		return err
	}
	if cfg.against != "" {
		if cfg.against, err = filepath.Abs(cfg.against); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(cfg.against, "mrcoordinator")); err != nil {
			return fmt.Errorf("-against %s: no build there (scripts/build.sh -out DIR makes one): %w", cfg.against, err)
		}
	}
	b := &bench{cfg: cfg, bin: bin, run: filepath.Join(work, "run"), corp: corp, out: os.Stdout, log: os.Stderr}
	os.RemoveAll(b.run)
	fmt.Fprintf(b.out, "bench: %d cores, %s, load average %s\n", runtime.NumCPU(), runtime.Version(), loadAverage())
	switch {
	case cfg.stream > 0:
		return b.streamRows()
	case cfg.model > 0:
		return b.modelRows()
	}
	return b.defaultRows()
}

// defaultRows runs every row of a plain bench.sh.
func (b *bench) defaultRows() error {
	for _, layout := range b.cfg.layouts {
		for _, vocab := range b.cfg.vocabs {
			if err := b.layoutRows(layout, vocab); err != nil {
				return err
			}
		}
	}
	if b.cfg.manyReduces {
		if err := b.manyReducesRow(); err != nil {
			return err
		}
	}
	if b.cfg.uniq {
		if err := b.uniqRows(); err != nil {
			return err
		}
	}
	fmt.Fprintln(b.out, "\nall outputs identical")
	if b.cfg.coordinator {
		return b.coordinatorRow()
	}
	return nil
}
