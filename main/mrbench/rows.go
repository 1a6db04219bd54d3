// rows.go: a row of the benchmark: a measured command beside its
// reference, run in alternating pairs, every output checked, printed as
// the spreads of both and of their ratios.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"mapreduce/internal/readahead"
)

// side is one of a row's two commands: run measures it once in dir
// (emptied first) and returns its output file, "" if it has none to check.
type side struct {
	name string
	run  func(dir string) (sample, string, error)
}

// clusterSide runs j on a cluster.
func (b *bench) clusterSide(name string, j job) side { return clusterSideIn(b.bin, name, j) }

// clusterSideIn runs j on a cluster of bin's binaries.
func clusterSideIn(bin, name string, j job) side {
	return side{name, func(dir string) (sample, string, error) { return runCluster(bin, j, dir) }}
}

// versus is what a row's cluster job j is paired with in dir: ref, named
// refName, or with -against the same job on the other build. want is
// then made first, if empty, by one unrecorded run of ref, so that both
// builds' outputs are checked against the reference's.
func (b *bench) versus(dir string, j job, ref side, refName, want string) (side, string, string, error) {
	if b.cfg.against == "" {
		return ref, refName, want, nil
	}
	if want == "" {
		var err error
		if want, err = b.expected(dir, ref); err != nil {
			return side{}, "", "", err
		}
	}
	name := "-against " + filepath.Base(b.cfg.against)
	return clusterSideIn(b.cfg.against, name, j.in(b.cfg.against)), name, want, nil
}

// expected runs ref once in dir, unrecorded, and keeps its output as
// dir/want, the output every run of the row is checked against.
func (b *bench) expected(dir string, ref side) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(b.log, "bench: %s: the expected output\n", ref.name)
	_, out, err := ref.run(filepath.Join(dir, "ref"))
	if err == nil && out == "" {
		err = fmt.Errorf("%s has no output to check against", ref.name)
	}
	want := filepath.Join(dir, "want")
	if err != nil || os.Rename(out, want) != nil {
		return "", fmt.Errorf("the expected output: %v", err)
	}
	return want, nil
}

// onDisk is s, with -cold run on inputs dropped from the page cache first
// (each run, of either side of a row: both read them from the disk).
func (b *bench) onDisk(s side, inputs []string) side {
	if !b.cfg.cold {
		return s
	}
	return side{s.name, func(dir string) (sample, string, error) {
		for _, path := range inputs {
			f, err := os.Open(path)
			if err != nil {
				return sample{}, "", err
			}
			if st, err := f.Stat(); err == nil {
				readahead.Drop(f, 0, st.Size())
			}
			f.Close()
		}
		return s.run(dir)
	}}
}

// procSide runs the command that mk returns for dir, with LC_ALL=C, its
// standard output to the file mk names (if any) and its errors to
// dir/log; out is its output file, "" for none to check.
func procSide(name string, mk func(dir string) (cmd *exec.Cmd, stdout, out string)) side {
	return side{name, func(dir string) (sample, string, error) {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sample{}, "", err
		}
		cmd, stdout, out := mk(dir)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "LC_ALL=C")
		log, err := os.Create(filepath.Join(dir, "log"))
		if err != nil {
			return sample{}, "", err
		}
		defer log.Close()
		cmd.Stdout, cmd.Stderr = log, log
		if stdout != "" {
			f, err := os.Create(stdout)
			if err != nil {
				return sample{}, "", err
			}
			defer f.Close()
			cmd.Stdout = f
		}
		s, err := measured(cmd)
		if err != nil {
			err = fmt.Errorf("%s: %w (see %s/log)", name, err, dir)
		}
		return s, out, err
	}}
}

// pair measures a beside ref in dir: a, ref, a, ref, ... (-warmup pairs
// unrecorded, then -rounds pairs), each output checked against want. An
// empty want is made by one more run of ref, first and unrecorded, and
// kept as dir/want. It returns want with the samples.
func (b *bench) pair(dir string, a, ref side, want string) (as, rs []sample, _ string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, "", err
	}
	if want == "" {
		if want, err = b.expected(dir, ref); err != nil {
			return nil, nil, "", err
		}
	}
	fmt.Fprintf(b.log, "bench: %s beside %s, %d+%d pairs\n", a.name, ref.name, b.cfg.warmup, b.cfg.rounds)
	as, rs, err = alternate(b.cfg.rounds, b.cfg.warmup, b.checked(a, filepath.Join(dir, "a"), want),
		b.checked(ref, filepath.Join(dir, "ref"), want))
	return as, rs, want, err
}

// checked runs s in dir and fails if its output differs from want.
func (b *bench) checked(s side, dir, want string) func() (sample, error) {
	return func() (sample, error) {
		smp, out, err := s.run(dir)
		if err == nil && out != "" {
			if err = sameFile(out, want); err != nil {
				err = fmt.Errorf("OUTPUTS DIFFER: %s: %w", s.name, err)
			}
		}
		return smp, err
	}
}

// sameFile returns an error naming both files unless they hold the same
// bytes.
func sameFile(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	if !sameBytes(bufio.NewReader(fa), bufio.NewReader(fb)) {
		return fmt.Errorf("%s and %s differ", a, b)
	}
	return nil
}

// sameBytes reports whether a and b read the same bytes to their ends.
func sameBytes(a, b io.Reader) bool {
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		aEnd := errors.Is(ea, io.EOF) || errors.Is(ea, io.ErrUnexpectedEOF)
		bEnd := errors.Is(eb, io.EOF) || errors.Is(eb, io.ErrUnexpectedEOF)
		if aEnd || bEnd || ea != nil || eb != nil {
			return aEnd && bEnd
		}
	}
}

// header is the line above a table of rows.
const header = "%-30s %5s  %-25s  %-26s %-25s  %-23s  %-9s  %s\n"

// printHeader starts a table of rows under a title, with the load
// average as it starts.
func (b *bench) printHeader(title string) {
	if b.cfg.cold {
		title += "; inputs dropped from the page cache before every run (-cold)"
	}
	fmt.Fprintf(b.out, "\n== %s\n%d pairs, alternating, after %d unrecorded; load average %s\n",
		title, b.cfg.rounds, b.cfg.warmup, loadAverage())
	fmt.Fprintf(b.out, header, "case", "maps", "seconds: median (min–max)", "reference", "seconds: median (min–max)",
		"ratio: median (min–max)", "CPU ratio", "peak RSS, MiB")
}

// loadAverage is the 1, 5 and 15 minute load averages, "?" if unknown.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// printRow prints one row: a's and ref's wall times, their ratio pair
// by pair, the ratio of their median CPU times, and the peak RSS of a's
// processes.
func (b *bench) printRow(name string, as []sample, ref string, rs []sample) {
	maps := "-"
	if len(as) > 0 && as[0].maps > 0 {
		maps = fmt.Sprint(as[0].maps)
	}
	fmt.Fprintf(b.out, header, name, maps, spreadOf(seconds(as)), ref, spreadOf(seconds(rs)),
		spreadOf(pairwise(as, rs, ratio)), fmt.Sprintf("%.3f", cpuRatio(as, rs)), rssText(as))
}

// cpuRatio is the median CPU time of as over that of rs.
func cpuRatio(as, rs []sample) float64 {
	cpu := func(ss []sample) float64 {
		xs := make([]float64, len(ss))
		for i, s := range ss {
			xs[i] = s.cpu.Seconds()
		}
		return spreadOf(xs).median
	}
	return cpu(as) / cpu(rs)
}

// rssText is the peak RSS over samples: "workers LO–HI, coordinator MAX"
// for a cluster, the process's largest for anything else.
func rssText(ss []sample) string {
	var own int64
	for _, s := range ss {
		own = max(own, s.rss)
	}
	if lo, hi := workerRSS(ss); hi > 0 {
		return fmt.Sprintf("workers %d–%d, coordinator %d", lo, hi, own>>10)
	}
	return fmt.Sprintf("%d", own>>10)
}

// uniqPairs rewrites `uniq -c` output ("   COUNT line") as the uniq app
// writes it ("line COUNT"), leaving out the empty line, which the app
// does not count.
func uniqPairs(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		count, line, ok := strings.Cut(strings.TrimLeft(sc.Text(), " "), " ")
		if !ok {
			return fmt.Errorf("not a line of uniq -c: %q", sc.Text())
		}
		if line != "" {
			fmt.Fprintf(bw, "%s %s\n", line, count)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}
