// bench_test.go: tests of the benchmark's logic: pairing, statistics,
// parsing, cutting a text and rewriting references' outputs; never of
// timings.
package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/readahead"
)

func TestAlternateRunsPairsInTurnAfterWarmup(t *testing.T) {
	var order []string
	mk := func(name string) func() (sample, error) {
		n := 0
		return func() (sample, error) {
			n++
			order = append(order, name)
			return sample{wall: time.Duration(n) * time.Second}, nil
		}
	}
	as, bs, err := alternate(3, 1, mk("a"), mk("b"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a b a b a b a b"; strings.Join(order, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(order, " "), want)
	}
	if got := seconds(as); !reflect.DeepEqual(got, []float64{2, 3, 4}) {
		t.Errorf("a's recorded runs %v, want the 2nd to 4th", got)
	}
	if len(bs) != 3 {
		t.Errorf("b has %d recorded runs, want 3", len(bs))
	}
}

func TestAlternateStopsAtTheFirstError(t *testing.T) {
	runs := 0
	bad := errors.New("outputs differ")
	a := func() (sample, error) { runs++; return sample{}, nil }
	b := func() (sample, error) { runs++; return sample{}, bad }
	if _, _, err := alternate(5, 0, a, b); !errors.Is(err, bad) {
		t.Fatalf("err %v, want %v", err, bad)
	}
	if runs != 2 {
		t.Errorf("%d runs, want 2", runs)
	}
	if as, bs, err := alternate(2, 0, a, nil); err != nil || len(as) != 2 || bs != nil {
		t.Errorf("a series alone: %d, %d runs, %v", len(as), len(bs), err)
	}
}

func TestSpreadOf(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want spread
	}{
		{nil, spread{}},
		{[]float64{2}, spread{2, 2, 2}},
		{[]float64{3, 1, 2}, spread{1, 2, 3}},
		{[]float64{4, 1, 3, 2}, spread{1, 2.5, 4}},
	} {
		if got := spreadOf(c.xs); got != c.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", c.xs, got, c.want)
		}
	}
	if got := (spread{1, 1.5, 2.25}).String(); got != "1.500 (1.000–2.250)" {
		t.Errorf("String %q", got)
	}
}

func TestPairwiseRatiosAreOfPairs(t *testing.T) {
	s := func(secs ...float64) []sample {
		var ss []sample
		for _, x := range secs {
			ss = append(ss, sample{wall: time.Duration(x * float64(time.Second))})
		}
		return ss
	}
	got := pairwise(s(2, 3, 6), s(1, 3, 2), ratio)
	if !reflect.DeepEqual(got, []float64{2, 1, 3}) {
		t.Errorf("ratios %v, want [2 1 3]", got)
	}
}

func TestWorkerRSSAndItsText(t *testing.T) {
	ss := []sample{{rss: 9 << 10, workers: []int64{80 << 10, 90 << 10}}, {workers: []int64{70 << 10, 100 << 10}}}
	if lo, hi := workerRSS(ss); lo != 70 || hi != 100 {
		t.Errorf("workerRSS %d–%d, want 70–100", lo, hi)
	}
	if got := rssText(ss); got != "workers 70–100, coordinator 9" {
		t.Errorf("rssText %q", got)
	}
	if got := rssText([]sample{{rss: 3 << 10}, {rss: 5 << 10}}); got != "5" {
		t.Errorf("rssText of a process %q, want its largest, 5", got)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "48K": 48 << 10, "16M": 16 << 20, "16MiB": 16 << 20, "4g": 4 << 30, "2KB": 2 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1", "0", "12Q", "1.5G", "99999999999T"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) took it", in)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := parseConfig([]string{"-layout", "1,16,small", "-vocab", "20000,200000", "-size", "16M", "-rounds", "3", "-no-sequential"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.layouts, []string{"1", "16", "small"}) || !reflect.DeepEqual(c.vocabs, []int{20000, 200000}) ||
		c.size != 16<<20 || c.rounds != 3 || c.warmup != 1 || c.sequential || !c.uniq || c.smallFile != 48<<10 {
		t.Errorf("config %+v", c)
	}
	if c, err := parseConfig([]string{"-against", "old"}, io.Discard); err != nil || c.against != "old" {
		t.Errorf("-against old: %q, %v", c.against, err)
	}
	if c, err := parseConfig([]string{"-cold"}, io.Discard); err != nil || !c.cold {
		t.Errorf("-cold: %v, %v", c.cold, err)
	}
	if c, err := parseConfig([]string{"-layout", ""}, io.Discard); err != nil || len(c.layouts) != 0 {
		t.Errorf("-layout '': layouts %q, %v; want none", c.layouts, err)
	}
	for _, args := range [][]string{
		{"-layout", "3x"}, {"-layout", "1,"}, {"-layout", "0"}, {"-vocab", "many"}, {"-apps", "grep"}, {"-rounds", "0"},
		{"-warmup", "-1"}, {"-workers", "0"}, {"-model", "1Q"}, {"extra"}, {"-cold=maybe"},
		{"-against", "old", "-model", "1G"}, {"-against", "old", "-stream", "64M"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%q taken", args)
		}
	}
}

func TestCutPointsEndAtLineEnds(t *testing.T) {
	text := "aa\nbbbb\nc\ndddddd\ne\n"
	for n := 1; n <= 8; n++ {
		cuts, err := cutPoints(strings.NewReader(text), int64(len(text)), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(cuts) != n+1 || cuts[0] != 0 || cuts[n] != int64(len(text)) {
			t.Fatalf("n=%d: cuts %v", n, cuts)
		}
		for i := 1; i < n; i++ {
			if cuts[i] < cuts[i-1] || (cuts[i] < int64(len(text)) && text[cuts[i]-1] != '\n') {
				t.Errorf("n=%d: cut %d at %d is not after a line end (%v)", n, i, cuts[i], cuts)
			}
		}
	}
	if cuts, _ := cutPoints(strings.NewReader(text), int64(len(text)), 2); cuts[1] != 10 {
		t.Errorf("cut in 2 at %d, want 10 (past the line that holds the middle)", cuts[1])
	}
}

func TestCutFileKeepsEveryByte(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("the quick brown fox\njumps\n", 100) + "no newline at the end"
	src := filepath.Join(dir, "text")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cut")
	os.Mkdir(out, 0o755)
	if err := cutFile(src, out, 7); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(filepath.Join(out, "part-*.txt"))
	var all []byte
	for _, p := range parts {
		b, _ := os.ReadFile(p)
		all = append(all, b...)
	}
	if len(parts) != 7 || string(all) != text {
		t.Errorf("%d parts, together %d bytes of %d", len(parts), len(all), len(text))
	}
}

func TestUniqPairs(t *testing.T) {
	in := "      2 \n      3   indented\n     10 a b\n      1 z\n"
	var out bytes.Buffer
	if err := uniqPairs(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if want := "  indented 3\na b 10\nz 1\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if err := uniqPairs(strings.NewReader("garbage\n"), io.Discard); err == nil {
		t.Error("a line without a count was taken")
	}
}

func TestGrepLine(t *testing.T) {
	for in, want := range map[string]string{"f.txt:12:a:b\n": "f.txt:12 a:b\n", "odd\n": "odd\n", "f:1\n": "f:1\n"} {
		if got := grepLine(in); got != want {
			t.Errorf("grepLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameBytes(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	for _, c := range []struct {
		a, b string
		same bool
	}{{"", "", true}, {"abc", "abc", true}, {"abc", "abd", false}, {"abc", "ab", false}, {long, long, true}, {long, long + "y", false}} {
		if got := sameBytes(strings.NewReader(c.a), strings.NewReader(c.b)); got != c.same {
			t.Errorf("sameBytes of %d and %d bytes = %v", len(c.a), len(c.b), got)
		}
	}
}

// fileSide is a side whose run writes text (the next of texts, the last
// again once they run out) as its output in dir, taking 1 s.
func fileSide(name string, texts ...string) side {
	n := 0
	return side{name, func(dir string) (sample, string, error) {
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		out := filepath.Join(dir, "out")
		err := os.WriteFile(out, []byte(texts[min(n, len(texts)-1)]), 0o644)
		n++
		return sample{wall: time.Second}, out, err
	}}
}

func TestPairChecksEveryOutputAgainstTheReferencesFirst(t *testing.T) {
	b := &bench{cfg: config{rounds: 3, warmup: 1}, log: io.Discard}
	dir := t.TempDir()
	as, rs, want, err := b.pair(dir, fileSide("cluster", "x"), fileSide("ref", "x"), "")
	if err != nil || len(as) != 3 || len(rs) != 3 {
		t.Fatalf("%d and %d samples, %v; want 3 and 3", len(as), len(rs), err)
	}
	if got, _ := os.ReadFile(want); string(got) != "x" {
		t.Errorf("want holds %q, the reference's first output is x", got)
	}
	_, _, _, err = b.pair(t.TempDir(), fileSide("cluster", "x", "x", "y"), fileSide("ref", "x"), "")
	if err == nil || !strings.Contains(err.Error(), "OUTPUTS DIFFER: cluster") {
		t.Errorf("a cluster's third output differed: err %v", err)
	}
	_, _, _, err = b.pair(t.TempDir(), fileSide("cluster", "x"), fileSide("ref", "x", "x", "z"), "")
	if err == nil || !strings.Contains(err.Error(), "OUTPUTS DIFFER: ref") {
		t.Errorf("the reference's second run differed from its first: err %v", err)
	}
}

func TestCPURatioIsOfMedians(t *testing.T) {
	s := func(cpus ...time.Duration) []sample {
		var ss []sample
		for _, c := range cpus {
			ss = append(ss, sample{cpu: c})
		}
		return ss
	}
	if got := cpuRatio(s(3*time.Second, 9*time.Second, 4*time.Second), s(2*time.Second, 1*time.Second, 2*time.Second)); got != 2 {
		t.Errorf("cpuRatio %v, want 4 s / 2 s = 2", got)
	}
}

// With -cold, each run of a side finds its inputs out of the page cache,
// though the run before read them; without, they stay cached. (Skipped
// where the file system keeps its files cached, or the cache cannot be
// asked.)
func TestColdRunsFindTheirInputsOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(path, bytes.Repeat([]byte("alpha beta\n"), 200_000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Sync()
	st, _ := f.Stat()
	cachedAtRun := func() int {
		n, _, err := readahead.Cached(f, 0, st.Size())
		if err != nil {
			t.Skip("the page cache cannot be asked here:", err)
		}
		return n
	}
	var seen []int
	reads := side{"reads", func(dir string) (sample, string, error) {
		seen = append(seen, cachedAtRun())
		_, err := os.ReadFile(path) // into the cache, for the next run
		return sample{}, "", err
	}}
	for _, cold := range []bool{true, false} {
		b := &bench{cfg: config{cold: cold}}
		seen = nil
		s := b.onDisk(reads, []string{path})
		for range 3 {
			if _, _, err := s.run(t.TempDir()); err != nil {
				t.Fatal(err)
			}
		}
		_, pages, _ := readahead.Cached(f, 0, st.Size())
		for i, n := range seen {
			switch {
			case cold && n > pages/4 && i == 0:
				t.Skipf("%d of %d pages cached after the drop: this file system keeps them (tmpfs?)", n, pages)
			case cold && n > pages/4:
				t.Errorf("-cold: run %d found %d of %d pages cached", i, n, pages)
			case !cold && i > 0 && n < pages:
				t.Errorf("without -cold: run %d found %d of %d pages cached, after a run that read them", i, n, pages)
			}
		}
	}
}
