// wc.go: the default rows: wc on each layout beside the limit, R = 5,000
// beside a small R, uniq beside sort | uniq -c, and the coordinator.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// textBytes is the size of the text that layouts cut: -size or 256 MiB.
func (b *bench) textBytes() int64 {
	if b.cfg.size > 0 {
		return b.cfg.size
	}
	return 256 << 20
}

// text returns the one-file text of vocab words that layouts cut.
func (b *bench) text(vocab int) ([]string, error) {
	n := b.textBytes()
	return b.corp.make(fmt.Sprintf("one-%d-v%d", n, vocab), "-files", "1", "-size", fmt.Sprint(n), "-vocab", fmt.Sprint(vocab))
}

// layoutCorpus returns the files of a layout of vocab words.
func (b *bench) layoutCorpus(layout string, vocab int) ([]string, error) {
	v := fmt.Sprint(vocab)
	switch layout {
	case "large":
		total, per := b.textBytes(), int64(64<<20)
		n := (total + per - 1) / per
		return b.corp.make(fmt.Sprintf("large-%d-v%d", total, vocab), "-files", fmt.Sprint(n), "-size", fmt.Sprint(total/n), "-vocab", v)
	case "small":
		total := int64(96 << 20)
		if b.cfg.size > 0 {
			total = b.cfg.size
		}
		return b.corp.make(fmt.Sprintf("small-%d-%d-v%d", total, b.cfg.smallFile, vocab),
			"-total", fmt.Sprint(total), "-size", fmt.Sprint(b.cfg.smallFile), "-vocab", v)
	}
	text, err := b.text(vocab)
	n, _ := strconv.Atoi(layout)
	if err != nil || n == 1 {
		return text, err
	}
	return b.corp.cut(fmt.Sprintf("cut%d-%d-v%d", n, b.textBytes(), vocab), text[0], n)
}

// limitSide is mrbench limit over inputs.
func (b *bench) limitSide(inputs []string) side {
	return procSide("limit (fused wc)", func(dir string) (*exec.Cmd, string, string) {
		out := filepath.Join(dir, "limit.out")
		return exec.Command(filepath.Join(b.bin, "mrbench"), append([]string{"limit", "-o", out}, inputs...)...), "", out
	})
}

// plugin is the path of an app's plugin.
func (b *bench) plugin(app string) string { return filepath.Join(b.bin, app+".so") }

// layoutRows measures each app on one corpus beside the limit, wc
// -journal beside wc on the small layout, and runs mrsequential.
func (b *bench) layoutRows(layout string, vocab int) error {
	inputs, err := b.layoutCorpus(layout, vocab)
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, fmt.Sprintf("%s-v%d", layout, vocab))
	b.printHeader(fmt.Sprintf("layout %s, vocabulary %d: %s in %d file(s)", layout, vocab, mb(inputs), len(inputs)))
	want, medians := "", map[string]float64{}
	for _, app := range b.cfg.apps {
		j := job{plugin: b.plugin(app), workers: b.cfg.workers, inputs: inputs}
		ref, refName, w, err := b.versus(filepath.Join(dir, app), j, b.limitSide(inputs), "limit (fused wc)", want)
		if err != nil {
			return err
		}
		as, rs, w, err := b.pair(filepath.Join(dir, app), b.onDisk(b.clusterSide(app+" cluster", j), inputs), b.onDisk(ref, inputs), w)
		if err != nil {
			return err
		}
		want, medians[app] = w, spreadOf(seconds(as)).median
		b.printRow(fmt.Sprintf("%s, %d workers", app, b.cfg.workers), as, refName, rs)
		if app == "wc" && layout == "small" {
			jj := j
			jj.flags = []string{"-journal"}
			as, rs, _, err := b.pair(filepath.Join(dir, "journal"), b.clusterSide("wc -journal", jj), b.clusterSide("wc", j), want)
			if err != nil {
				return err
			}
			b.printRow("wc -journal", as, "wc", rs)
		}
		if app == "wc" && b.cfg.workerData {
			jd, err := b.heldJob(j, filepath.Join(dir, "corpus.manifest"))
			if err != nil {
				return err
			}
			ref, refName, _, err := b.versus(filepath.Join(dir, "held"), jd, b.limitSide(inputs), "limit (fused wc)", want)
			if err != nil {
				return err
			}
			as, rs, _, err := b.pair(filepath.Join(dir, "held"), b.onDisk(b.clusterSide("wc, inputs held", jd), inputs),
				b.onDisk(ref, inputs), want)
			if err != nil {
				return err
			}
			b.printRow("wc, inputs held", as, refName, rs)
		}
	}
	if b.cfg.sequential {
		return b.sequentialRuns(dir, inputs, want, medians)
	}
	return nil
}

// heldJob is j with every input held by every worker (-data, the
// inputs' directory) and the coordinator planning the job from a manifest
// of them, written to manifest, alone: every map reads its split from its
// worker's copy.
func (b *bench) heldJob(j job, manifest string) (job, error) {
	dir := filepath.Dir(j.inputs[0])
	for _, in := range j.inputs {
		if filepath.Dir(in) != dir {
			return job{}, fmt.Errorf("-worker-data: the inputs are in more than one directory (%s, %s)", dir, filepath.Dir(in))
		}
	}
	dir, err := filepath.Abs(dir) // the workers run in directories of their own
	if err == nil {
		manifest, err = filepath.Abs(manifest)
	}
	if err != nil {
		return job{}, err
	}
	cmd := exec.Command(filepath.Join(b.bin, "mrmanifest"), append([]string{"-o", manifest}, j.inputs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return job{}, fmt.Errorf("mrmanifest: %v: %s", err, bytes.TrimSpace(out))
	}
	j.flags, j.inputs, j.data = append(j.flags, "-manifest", manifest), nil, dir
	return j, nil
}

// sequentialRuns runs mrsequential once per app, checks its output and
// prints its time beside the cluster's median.
func (b *bench) sequentialRuns(dir string, inputs []string, want string, cluster map[string]float64) error {
	for _, app := range b.cfg.apps {
		s := procSide(app+" mrsequential", func(dir string) (*exec.Cmd, string, string) {
			return exec.Command(filepath.Join(b.bin, "mrsequential"), append([]string{b.plugin(app)}, inputs...)...),
				"", filepath.Join(dir, "mr-out-0")
		})
		fmt.Fprintf(b.log, "bench: %s\n", s.name)
		smp, err := b.checked(s, filepath.Join(dir, app+"-sequential"), want)()
		if err != nil {
			return err
		}
		fmt.Fprintf(b.out, "%s: one run, %.3f s, peak RSS %d MiB; %s cluster's median / it %.3f\n",
			s.name, smp.wall.Seconds(), smp.rss>>10, app, cluster[app]/smp.wall.Seconds())
	}
	return nil
}

// manyReducesRow measures the fixed cost of a reduce task: wc over 2 MB
// with R = 5,000 beside R = 4, 3 workers.
func (b *bench) manyReducesRow() error {
	inputs, err := b.corp.make("many-reduces", "-files", "4", "-size", "500000", "-vocab", "20000")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, "many-reduces")
	limit := b.limitSide(inputs)
	_, want, err := limit.run(filepath.Join(dir, "limit"))
	if err != nil {
		return err
	}
	const many, few = 5000, 4
	j := func(r int) job {
		return job{plugin: b.plugin("wc"), workers: 3, flags: []string{"-nreduce", fmt.Sprint(r)}, inputs: inputs}
	}
	as, rs, _, err := b.pair(dir, b.clusterSide("wc R = 5000", j(many)), b.clusterSide("wc R = 4", j(few)), want)
	if err != nil {
		return err
	}
	b.printHeader(fmt.Sprintf("many reduce tasks: %s in %d files, 3 workers", mb(inputs), len(inputs)))
	b.printRow("wc, R = 5,000", as, "wc, R = 4", rs)
	perTask := pairwise(as, rs, func(a, r time.Duration) float64 { return (a - r).Seconds() * 1000 / (many - few) })
	fmt.Fprintf(b.out, "ms of job time per extra reduce task: %s\n", spreadOf(perTask))
	return nil
}

// sortUniqSide is LC_ALL=C sort -S 4G --parallel=2 | uniq -c over inputs,
// its output rewritten as the uniq app's after the measurement.
func sortUniqSide(inputs []string) side {
	p := procSide("sort | uniq -c", func(dir string) (*exec.Cmd, string, string) {
		sh := `sort -S 4G --parallel=2 "$@" | uniq -c`
		return exec.Command("sh", append([]string{"-c", sh, "sh"}, inputs...)...), filepath.Join(dir, "uniq-c.out"), ""
	})
	return side{p.name, func(dir string) (sample, string, error) {
		s, _, err := p.run(dir)
		if err != nil {
			return s, "", err
		}
		out := filepath.Join(dir, "pairs.out")
		return s, out, rewrite(filepath.Join(dir, "uniq-c.out"), out)
	}}
}

// rewrite writes uniqPairs of the file in to the file out.
func rewrite(in, out string) error {
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := uniqPairs(bufio.NewReader(r), w); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", in, err)
	}
	return w.Close()
}

// uniqRows measures uniq, plain and -total-order, beside sort | uniq -c
// on the 1-file text of 200,000 words.
func (b *bench) uniqRows() error {
	inputs, err := b.text(200000)
	if err != nil {
		return err
	}
	dir := filepath.Join(b.run, "uniq")
	want := ""
	b.printHeader(fmt.Sprintf("every line a key: %s in %d file(s)", mb(inputs), len(inputs)))
	for _, flags := range [][]string{nil, {"-total-order", "-app", b.plugin("uniq")}} {
		name := strings.TrimSpace("uniq " + strings.Join(flags[:min(1, len(flags))], ""))
		j := job{plugin: b.plugin("uniq"), workers: b.cfg.workers, flags: flags, inputs: inputs}
		rowDir := filepath.Join(dir, strings.ReplaceAll(name, " ", ""))
		ref, refName, w, err := b.versus(rowDir, j, sortUniqSide(inputs), "sort | uniq -c", want)
		if err != nil {
			return err
		}
		as, rs, w, err := b.pair(rowDir, b.onDisk(b.clusterSide(name, j), inputs), b.onDisk(ref, inputs), w)
		if err != nil {
			return err
		}
		want = w
		b.printRow(fmt.Sprintf("%s, %d workers", name, b.cfg.workers), as, refName, rs)
	}
	lines, err := countLines(want)
	fmt.Fprintf(b.out, "%d distinct lines\n", lines)
	return err
}

// countLines counts the lines of a file.
func countLines(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, buf := 0, make([]byte, 64<<10)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}

// coordinatorRow runs the coordinator's benchmark once.
func (b *bench) coordinatorRow() error {
	fmt.Fprintln(b.out, "\ncoordinator: 100,000 no-op map tasks over loopback RPC to 50 simulated workers")
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkCoordinatorTasks", "-benchtime", "1x", "./mr/coordinator")
	cmd.Dir, cmd.Stderr = b.cfg.root, os.Stderr
	out, err := cmd.Output()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			fmt.Fprintln(b.out, l)
		}
	}
	return err
}

// mb is the size of files in MB, for titles.
func mb(files []string) string {
	return fmt.Sprintf("%.1f MB", float64(totalBytes(files))/1e6)
}

// totalBytes is the size of files together.
func totalBytes(files []string) int64 {
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}
