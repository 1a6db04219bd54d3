// bench.go: mrcluster bench, the cost of the coordinator's link and what
// holding the data on the workers saves (the README's "Data where it
// lives, on slow links"). Not a test: nothing passes or fails on time.

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"mapreduce/internal/protocol"
)

const benchUsage = `usage: sudo mrcluster bench [-size 128M] [-file-size 8M] [-workers 3]
                           [-rates unlimited,100mbit] [-runs 1]

It generates -size of text in files of -file-size (mrgen, seed 1), then
for every rate and every case runs one wc job with mrcluster (-link-rate
RATE unless unlimited, -split-size -file-size) -runs times and prints one
row: the case, the rate, the job's time (the summary's elapsed; with
several runs, their median and all of them), map input bytes read
locally, from peers and from the coordinator (of the last run), and
whether every output is mrsequential's. Cases:
  coordinator   the inputs only on the coordinator
  all           every input on every worker
  spread        each input on 2 of the workers
  manifest      each input on 2 of the workers, the coordinator holding only the manifest
Then, per rate, each case's time over the same case's unlimited time.
Build without -race (scripts/build.sh) for meaningful times.
`

// benchCases are the cases and their mrcluster flags.
var benchCases = []struct {
	name  string
	flags []string
}{
	{"coordinator", nil},
	{"all", []string{"-worker-data", "all"}},
	{"spread", []string{"-worker-data", "spread"}},
	{"manifest", []string{"-worker-data", "spread", "-coordinator-data", "none"}},
}

// bench is mrcluster bench with args; it returns the exit status.
func bench(args []string) int {
	fs := flag.NewFlagSet("mrcluster bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	size := fs.String("size", "128M", "")
	fileSize := fs.String("file-size", "8M", "")
	workers := fs.Int("workers", 3, "")
	rates := fs.String("rates", "unlimited,100mbit", "")
	runs := fs.Int("runs", 1, "")
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		fmt.Print(benchUsage)
		return 0
	}
	switch {
	case err != nil:
	case fs.NArg() > 0:
		err = fmt.Errorf("%s: bench takes flags only", fs.Arg(0))
	case *runs < 1 || *workers < 1 || *workers > 99:
		err = fmt.Errorf("-runs %d, -workers %d: want -runs at least 1, -workers 1..99", *runs, *workers)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mrcluster bench: %v\n%s(-h for more)\n", err, benchUsage[:strings.Index(benchUsage, "\n\n")+1])
		return 2
	}
	split, err := iecBytes(*fileSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrcluster bench: -file-size "+*fileSize+": "+err.Error())
		return 2
	}
	b, err := newBench(*size, *fileSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrcluster bench: "+err.Error())
		return 1
	}
	defer func() {
		if !b.keep {
			os.RemoveAll(b.work)
		}
	}()
	fmt.Printf("%-12s %-10s %9s %12s %12s %12s  %s\n", "case", "rate", "seconds", "local", "peer", "coordinator", "output")
	took := map[string]float64{}
	for _, rate := range strings.Split(*rates, ",") {
		for _, c := range benchCases {
			args := append([]string{"-workers", strconv.Itoa(*workers), "-split-size", strconv.FormatInt(split, 10)}, c.flags...)
			if rate != "unlimited" {
				args = append(args, "-link-rate", rate)
			}
			if secs, ok := b.row(c.name, rate, *runs, args); ok {
				took[c.name+","+rate] = secs
			}
		}
	}
	for _, rate := range strings.Split(*rates, ",") {
		for _, c := range benchCases {
			a, ok1 := took[c.name+","+rate]
			u, ok2 := took[c.name+",unlimited"]
			if rate != "unlimited" && ok1 && ok2 && u > 0 {
				fmt.Printf("%s at %s: %.2fx its time on unlimited links\n", c.name, rate, a/u)
			}
		}
	}
	return 0
}

// benchRun is a bench's inputs and reference output.
type benchRun struct {
	bin, work string
	inputs    []string
	ref       []byte // mrsequential's output, its lines sorted
	keep      bool   // a run failed: keep work, for its logs
}

// newBench generates the inputs with mrgen and mrsequential's output.
func newBench(size, fileSize string) (*benchRun, error) {
	o := &options{}
	if err := o.findBin(); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "mr-lan-bench.")
	if err != nil {
		return nil, err
	}
	b := &benchRun{bin: o.binDir, work: work}
	in := filepath.Join(work, "in")
	if out, err := exec.Command(o.bin("mrgen"), "-out", in, "-total", size, "-size", fileSize, "-seed", "1", "-prefix", "in-").CombinedOutput(); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("mrgen: %v: %s", err, bytes.TrimSpace(out))
	}
	b.inputs, _ = filepath.Glob(filepath.Join(in, "in-*.txt"))
	cmd := exec.Command(o.bin("mrsequential"), append([]string{o.bin("wc.so")}, b.inputs...)...)
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("mrsequential: %v: %s", err, bytes.TrimSpace(out))
	}
	ref, err := os.ReadFile(filepath.Join(work, "mr-out-0"))
	b.ref = sortLines(ref)
	return b, err
}

// row runs one case runs times and prints its row; it returns the
// median time, and false when a run failed.
func (b *benchRun) row(name, rate string, runs int, args []string) (float64, bool) {
	var times []float64
	var sum *protocol.Summary
	out := "same"
	for r := 1; r <= runs; r++ {
		dir := filepath.Join(b.work, fmt.Sprintf("run-%s-%s-%d", name, rate, r))
		var err error
		if sum, err = b.once(dir, args); err != nil {
			fmt.Printf("%-12s %-10s %9s  (failed: %v; see %s)\n", name, rate, "-", err, filepath.Join(dir, "cluster.log"))
			b.keep = true // the logs tell why
			return 0, false
		}
		d, _ := time.ParseDuration(sum.Elapsed)
		times = append(times, d.Seconds())
		if all, _ := os.ReadFile(filepath.Join(dir, "mr-wc-all")); !bytes.Equal(sortLines(all), b.ref) {
			out = "DIFFERENT"
		}
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	median := sorted[(len(sorted)-1)/2]
	c := sum.Counters
	all := ""
	if runs > 1 {
		each := make([]string, len(times))
		for i, t := range times {
			each[i] = strconv.FormatFloat(t, 'f', 3, 64)
		}
		all = " (runs: " + strings.Join(each, " ") + ")"
	}
	fmt.Printf("%-12s %-10s %9.2f %12d %12d %12d  %s%s\n", name, rate, median, c.LocalBytes, c.PeerBytes, c.CoordinatorBytes, out, all)
	return median, true
}

// once runs mrcluster with args in dir, its output to dir/cluster.log,
// and returns the job's summary.
func (b *benchRun) once(dir string, args []string) (*protocol.Summary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "cluster.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(b.bin, "mrcluster"), append(args, b.inputs...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.Env = append(os.Environ(), "LAN_BIN="+b.bin)
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "mr-wc-summary.json"))
	if err != nil {
		return nil, err
	}
	var s protocol.Summary
	return &s, json.Unmarshal(raw, &s)
}

// sortLines is b's lines, sorted.
func sortLines(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	slices.SortFunc(lines, bytes.Compare)
	return bytes.Join(lines, nil)
}

// iecBytes reads a size as mrgen does: bytes, or a number with K, M or G
// (powers of 1024).
func iecBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(strings.TrimRight(s, "KMG"), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want bytes, or a number with K, M or G")
	}
	return n * mult, nil
}
