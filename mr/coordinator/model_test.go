// model_test.go: parameters and shape as part of a job's identity; the
// total order's sample and cut points; a concatenated final output.

package coordinator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// A journaled job resumed with other parameters, or as map-only, is
// another job: refused in one line naming both, resumed with its own.
func TestJournalRefusesOtherParams(t *testing.T) {
	inputs := testInputs(t, 2)
	for _, c := range []struct {
		name string
		is   func(*Config)
		want string
	}{
		{"other value", func(c *Config) { c.Params = map[string]string{"pattern": "whale"} }, "[pattern=fish], are [pattern=whale]"},
		{"none", func(c *Config) { c.Params = nil }, "[pattern=fish], are none"},
		{"map-only", func(c *Config) { c.MapOnly = true }, "map-only false"},
		{"total order", func(c *Config) {
			c.TotalOrder, c.sampler = true, &mr.App{Map: func(string, string) []mr.KeyValue { return nil }}
		}, "total-order false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			was := journaledConfig(t, out, 1)
			was.Params = map[string]string{"pattern": "fish"}
			startJournal(t, was, inputs, 0)
			is := was
			c.is(&is)
			_, err := New(is, inputs)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("New with other parameters = %v, want one line saying %q", err, c.want)
			}
			c2, err := New(was, inputs)
			if err != nil {
				t.Fatalf("the same job with its own parameters: %v", err)
			}
			stopNow(c2)
		})
	}
}

func TestParamsAreBounded(t *testing.T) {
	many := make(map[string]string)
	for i := range protocol.MaxParams + 1 {
		many[fmt.Sprintf("p%d", i)] = "v"
	}
	for _, p := range []map[string]string{many, {"x": strings.Repeat("v", 1<<20)}, {"../x": "v"}, {"": "v"}} {
		cfg := testConfig(t.TempDir())
		cfg.Params = p
		if _, err := New(cfg, testInputs(t, 1)); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("New with %d parameters (%.20q...) = %v, want one line refusing them", len(p), fmt.Sprint(p), err)
		}
	}
}

func TestParseParam(t *testing.T) {
	if n, v, err := protocol.ParseParam("pattern=a=b"); n != "pattern" || v != "a=b" || err != nil {
		t.Fatalf("ParseParam = %q %q %v", n, v, err)
	}
	if n, v, err := protocol.ParseParam("empty="); n != "empty" || v != "" || err != nil {
		t.Fatalf("ParseParam = %q %q %v", n, v, err)
	}
	if _, _, err := protocol.ParseParam("pattern"); err == nil || !strings.Contains(err.Error(), "want NAME=VALUE") {
		t.Fatalf("ParseParam without '=' = %v", err)
	}
}

func TestSampleTasksAreEvenlySpaced(t *testing.T) {
	for _, c := range []struct {
		m, n int
		want []int
	}{
		{3, 10, []int{0, 1, 2}},
		{100, 10, []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}},
		{25, 10, []int{0, 2, 5, 7, 10, 12, 15, 17, 20, 22}},
		{0, 10, []int{}},
	} {
		if got := sampleTasks(c.m, c.n); !slices.Equal(got, c.want) {
			t.Errorf("sampleTasks(%d, %d) = %v, want %v", c.m, c.n, got, c.want)
		}
	}
}

// The sample keeps about its limit of keys per split, evenly spread over
// what Map emitted, and the cut points split it into equal parts.
func TestKeySampleAndCutPoints(t *testing.T) {
	s := &keySample{limit: 100}
	s.startSplit()
	for i := range 10_000 {
		s.add(fmt.Sprintf("k%05d", i))
	}
	if n := len(s.keys); n < 100 || n >= 200 {
		t.Fatalf("kept %d keys of 10,000, want 100 to 199", n)
	}
	if first, last := s.keys[0], s.keys[len(s.keys)-1]; first > "k00100" || last < "k09800" {
		t.Fatalf("kept %s .. %s: not spread over the split", first, last)
	}
	cuts := cutPoints(s.keys, 4)
	if len(cuts) != 3 || !slices.IsSorted(cuts) {
		t.Fatalf("cut points %v", cuts)
	}
	for i, want := range []string{"k02500", "k05000", "k07500"} {
		if d := abs(num(cuts[i]) - num(want)); d > 200 {
			t.Errorf("cut point %d = %s, want about %s", i, cuts[i], want)
		}
	}
	if got := cutPoints(nil, 3); !slices.Equal(got, []string{"", ""}) {
		t.Errorf("cut points of an empty sample = %q", got)
	}
	long := strings.Repeat("z", protocol.CutKeyLimit(2)+10)
	if got := cutPoints([]string{long, long}, 2); len(got[0]) != protocol.CutKeyLimit(2) || protocol.CheckCuts(got, 2) != nil {
		t.Errorf("a long cut point is %d bytes", len(got[0]))
	}
	// R-1 cut points stay within CutKeyLimit(R) each, which keeps them
	// within the protocol's bound in all (TestCutKeyLimitBoundsAllCuts).
	many := cutPoints([]string{long}, 100_000)
	if n := len(many[0]); n > protocol.CutKeyLimit(100_000) || protocol.CheckCuts(many, 100_000) != nil {
		t.Errorf("100,000 reduce tasks: cut points of %d bytes each", n)
	}
}

func num(k string) int {
	var n int
	fmt.Sscanf(k, "k%d", &n)
	return n
}

func abs(x int) int { return max(x, -x) }

// A total-order job's sample runs the app's Map with the job's
// parameters; a Map that panics refuses the job in one line.
func TestSampleRunsMapWithParams(t *testing.T) {
	inputs := testInputs(t, 3)
	app := &mr.App{Name: "t", Map: func(_, text string) []mr.KeyValue {
		if mr.Param("p") != "yes" {
			panic("no parameter")
		}
		return []mr.KeyValue{{Key: text[:1]}}
	}}
	cfg := testConfig(t.TempDir())
	cfg.TotalOrder, cfg.sampler, cfg.NReduce, cfg.Params = true, app, 2, map[string]string{"p": "yes"}
	c, err := New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	defer stopNow(c)
	if c.model.sample.Splits != 3 || c.model.sample.Keys != 3 || len(c.model.cuts) != 1 {
		t.Fatalf("sample %+v, cuts %q", c.model.sample, c.model.cuts)
	}
	cfg.Params = nil
	if _, err := New(cfg, inputs); err == nil || !strings.Contains(err.Error(), "sampling the keys") || !strings.Contains(err.Error(), "no parameter") {
		t.Fatalf("New with a Map that panics = %v", err)
	}
}

// A concatenated job's final output is its mr-out-Y files copied in task
// order, byte for byte, whatever the order they are committed in: each
// is appended once all before it are in, the rest at the end.
func TestAppenderCopiesTheOutputsInOrder(t *testing.T) {
	dir := t.TempDir()
	texts := []string{"a 1\nb 2\n", "", "c 3\n" + strings.Repeat("d 4\n", 50_000), "e 5\n"}
	for r, s := range texts {
		if err := os.WriteFile(filepath.Join(dir, outputName(r)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	name := filepath.Join(dir, "all")
	a := newAppender(dir, func() string { return name }, len(texts))
	for _, r := range []int{2, 0, 3} { // 1 last: 0 is appended, 2 and 3 wait
		if a.committed(r) {
			a.copyReady()
		}
	}
	if a.next != 1 {
		t.Fatalf("with 0, 2 and 3 in, %d outputs appended, want 1", a.next)
	}
	if a.committed(1) {
		a.copyReady()
	}
	if _, err := os.Stat(name); err == nil {
		t.Fatal("the final output is visible before finish")
	}
	if err := a.finish(); err != nil {
		t.Fatal(err)
	}
	a.abort() // after finish: keeps the final output
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(texts, ""); string(got) != want {
		t.Errorf("final output of %d bytes, want %d bytes", len(got), len(want))
	}
}

// A missing output fails the final output, naming it; a job that ends
// otherwise leaves no temp file of it.
func TestAppenderFailsOrHaltsCleanly(t *testing.T) {
	dir := t.TempDir()
	for r := range 2 {
		if err := os.WriteFile(filepath.Join(dir, outputName(r)), []byte("k v\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := func() string { return filepath.Join(dir, "all") }
	a := newAppender(dir, all, 3)
	for r := range 3 {
		if a.committed(r) {
			a.copyReady()
		}
	}
	if err := a.finish(); err == nil || !strings.Contains(err.Error(), "mr-out-2") {
		t.Errorf("with mr-out-2 missing: %v, want an error naming it", err)
	}
	a.abort()

	b := newAppender(dir, all, 2)
	if b.committed(0) {
		b.copyReady()
	}
	b.halt()
	if b.committed(1) {
		t.Error("a halted appender copies again")
	}
	if err := b.finish(); err == nil {
		t.Error("a halted appender finished")
	}
	b.abort()
	if left, _ := filepath.Glob(filepath.Join(dir, "*all*")); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}
