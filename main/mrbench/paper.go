// paper.go: the rows of -model (the paper's grep and sort beside grep
// and sort) and of -stream (streaming jobs beside the same as plugins).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// grepPattern is the pattern of -model's grep.
const grepPattern = `th[a-z]+st\b`

// modelRows runs grep and sort, the paper's benchmarks (OSDI'04 §5.2,
// §5.3), beside the tools that do the same on one machine.
func (b *bench) modelRows() error {
	if err := b.grepRow(); err != nil {
		return err
	}
	return b.sortRow()
}

// filesOf64M is the number of files of about 64 MiB that hold n bytes.
func filesOf64M(n int64) int64 { return (n + 64<<20 - 1) / (64 << 20) }

// grepRow: grep (map-only) beside grep -c, its matches checked against
// grep -Hn's.
func (b *bench) grepRow() error {
	n := b.cfg.model
	k := filesOf64M(n)
	inputs, err := b.corp.make(fmt.Sprintf("grep-%d", n), "-files", fmt.Sprint(k), "-size", fmt.Sprint(n/k), "-vocab", "20000")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, "grep")
	want, err := grepMatches(dir, inputs)
	if err != nil {
		return err
	}
	j := job{plugin: b.plugin("grep"), workers: b.cfg.workers, inputs: inputs,
		flags: []string{"-nreduce", "0", "-app", b.plugin("grep"), "-param", "pattern=" + grepPattern}}
	grepC := procSide("grep -c", func(dir string) (*exec.Cmd, string, string) {
		return exec.Command("grep", append([]string{"-cE", grepPattern}, inputs...)...), filepath.Join(dir, "count"), ""
	})
	as, rs, _, err := b.pair(dir, b.clusterSide("grep cluster", j), grepC, want)
	if err != nil {
		return err
	}
	b.printHeader(fmt.Sprintf("grep %s: %s in %d file(s), map-only", grepPattern, mb(inputs), len(inputs)))
	b.printRow(fmt.Sprintf("grep, %d workers", b.cfg.workers), as, "grep -c", rs)
	b.perCore(inputs, as, rs)
	fmt.Fprintln(b.out, "paper (OSDI'04 §5.2): 1 TB in about 150 s on 1,764 workers, about 17 MB/s per worker at the peak (30 GB/s in all)")
	return nil
}

// grepMatches writes grep -Hn's matches as the grep app writes them
// ("file:line text") to dir/matches, line by line: read whole, they would
// raise this process's peak RSS by hundreds of MiB, which every process it
// starts afterwards would report as its own (Linux's ru_maxrss counts the
// peak of the process a child was forked from).
func grepMatches(dir string, inputs []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("grep", append([]string{"-HnE", grepPattern}, inputs...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	want := filepath.Join(dir, "matches")
	f, err := os.Create(want)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("grep -Hn: %w", err)
	}
	w := bufio.NewWriter(f)
	r := bufio.NewReader(stdout)
	for {
		l, rerr := r.ReadString('\n')
		w.WriteString(grepLine(l))
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			cmd.Wait()
			return "", fmt.Errorf("grep -Hn: %w", rerr)
		}
	}
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("grep -Hn: %w", err)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return want, f.Close()
}

// grepLine turns grep -Hn's "file:line:text" into "file:line text" (as
// sed 's/:/ /2').
func grepLine(l string) string {
	i := strings.IndexByte(l, ':')
	if i < 0 {
		return l
	}
	j := strings.IndexByte(l[i+1:], ':')
	if j < 0 {
		return l
	}
	return l[:i+1+j] + " " + l[i+2+j:]
}

// sortRow: sort (-total-order) beside LC_ALL=C sort --parallel=2, checked
// byte for byte.
func (b *bench) sortRow() error {
	n := b.cfg.model
	inputs, err := b.corp.make(fmt.Sprintf("sort-%d", n), "-records", fmt.Sprint(n/100), "-size", fmt.Sprint(64<<20))
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, "sort")
	j := job{plugin: b.plugin("sort"), workers: b.cfg.workers, inputs: inputs,
		flags: []string{"-total-order", "-app", b.plugin("sort"), "-nreduce", "8"}}
	sortSide := procSide("LC_ALL=C sort --parallel=2", func(dir string) (*exec.Cmd, string, string) {
		out := filepath.Join(dir, "sort.out")
		return exec.Command("sort", append([]string{"--parallel=2", "-S", "25%", "-T", dir, "-o", out}, inputs...)...), "", out
	})
	as, rs, _, err := b.pair(dir, b.clusterSide("sort cluster", j), sortSide, "")
	if err != nil {
		return err
	}
	b.printHeader(fmt.Sprintf("sort: %s in %d file(s) of 100-byte records", mb(inputs), len(inputs)))
	b.printRow(fmt.Sprintf("sort, %d workers", b.cfg.workers), as, "sort --parallel=2", rs)
	fmt.Fprintf(b.out, "sort --parallel=2's peak RSS: %s MiB\n", rssText(rs))
	b.perCore(inputs, as, rs)
	if sum, err := readSummary(filepath.Join(dir, "a")); err == nil && sum.Model != nil && sum.Model.TotalOrder != nil {
		fmt.Fprintf(b.out, "total order skew %.3f\n", sum.Model.TotalOrder.Skew)
	}
	fmt.Fprintln(b.out, "paper (OSDI'04 §5.3): 1 TB (10^10 100-byte records) in 891 s on about 1,746 workers: about 0.64 MB/s per worker")
	return nil
}

// perCore prints the MB/s per core of both medians.
func (b *bench) perCore(inputs []string, as, rs []sample) {
	mbs := float64(totalBytes(inputs)) / 1e6
	cores := float64(runtime.NumCPU())
	fmt.Fprintf(b.out, "MB/s per core (medians): %.1f, reference %.1f\n",
		mbs/spreadOf(seconds(as)).median/cores, mbs/spreadOf(seconds(rs)).median/cores)
}

// streamRows runs streaming jobs beside the same jobs as plugins, on
// -stream bytes in files of 64 MiB, 200,000 words.
func (b *bench) streamRows() error {
	n := b.cfg.stream
	k := filesOf64M(n)
	inputs, err := b.corp.make(fmt.Sprintf("large-%d-v200000", n), "-files", fmt.Sprint(k), "-size", fmt.Sprint(n/k), "-vocab", "200000")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, "stream")
	pool := job{workers: b.cfg.workers, inputs: inputs,
		flags: []string{"-app", "cat", "-mapper", "cat", "-reducer", "cat", "-nreduce", "4"}}
	plugin := job{plugin: b.plugin("identity"), workers: b.cfg.workers, inputs: inputs, flags: []string{"-nreduce", "4"}}
	as, rs, _, err := b.pair(filepath.Join(dir, "identity"), b.clusterSide("streaming cat", pool), b.clusterSide("identity.so", plugin), "")
	if err != nil {
		return err
	}
	b.printHeader(fmt.Sprintf("streaming: %s in %d file(s), %d pool workers", mb(inputs), len(inputs), b.cfg.workers))
	b.printRow("identity: streaming cat", as, "identity.so", rs)
	if _, err := exec.LookPath("python3"); err != nil || !b.cfg.python {
		return nil
	}
	return b.pythonRow(dir, inputs)
}

// pythonRow: a word count in Python, streaming, beside wc.so: one pair,
// no warm-up.
func (b *bench) pythonRow(dir string, inputs []string) error {
	py := filepath.Join(dir, "py")
	if err := os.MkdirAll(py, 0o755); err != nil {
		return err
	}
	mapPy, reducePy := filepath.Join(py, "wc_map.py"), filepath.Join(py, "wc_reduce.py")
	if err := os.WriteFile(mapPy, []byte(pyMap), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(reducePy, []byte(pyReduce), 0o644); err != nil {
		return err
	}
	pool := job{workers: b.cfg.workers, inputs: inputs, flags: []string{"-app", "pywc", "-mapper", "python3 wc_map.py",
		"-reducer", "python3 wc_reduce.py", "-combiner", "python3 wc_reduce.py", "-file", mapPy, "-file", reducePy, "-nreduce", "4"}}
	plugin := job{plugin: b.plugin("wc"), workers: b.cfg.workers, inputs: inputs, flags: []string{"-nreduce", "4"}}
	rounds, warmup := b.cfg.rounds, b.cfg.warmup
	b.cfg.rounds, b.cfg.warmup = 1, 0
	defer func() { b.cfg.rounds, b.cfg.warmup = rounds, warmup }()
	as, rs, _, err := b.pair(filepath.Join(dir, "pywc"), b.clusterSide("Python wc", pool), b.clusterSide("wc.so", plugin), "")
	if err != nil {
		return err
	}
	b.printRow("Python wc, streaming (1 pair)", as, "wc.so", rs)
	return nil
}

// pyMap and pyReduce are a word count in Python (letters as
// unicode.IsLetter, about).
const (
	pyMap = `import sys
sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')
for line in sys.stdin:
    for w in ''.join(c if c.isalpha() else ' ' for c in line).split():
        print(w + '\t1')
`
	pyReduce = `import sys
sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')
key, n = None, 0
for line in sys.stdin:
    k, v = line.rstrip('\n').split('\t', 1)
    if k != key:
        if key is not None:
            print(key + '\t' + str(n))
        key, n = k, 0
    n += int(v)
if key is not None:
    print(key + '\t' + str(n))
`
)
