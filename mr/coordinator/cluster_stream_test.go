// Streaming jobs in a cluster, against mrsequential and the Go app: word
// count, a map-only job, a failing mapper, a plugin worker that refuses
// the job, a pool running shipped scripts, a journaled job. They run sh
// and awk, which every Linux machine has.

package coordinator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/executor"
	"mapreduce/mr/worker"
)

// awkWordCount is word count as a streaming job: words are the maximal
// runs of ASCII letters, as WordCount's on ASCII text; the reducer sums
// each key's run of lines, and serves as the combiner too.
func awkWordCount() *protocol.Stream {
	sum := `awk -F'\t' '$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k "\t" n }'`
	return &protocol.Stream{
		Mapper:   `awk '{ n = split($0, w, /[^A-Za-z]+/); for (i = 1; i <= n; i++) if (w[i] != "") print w[i] "\t1" }'`,
		Reducer:  sum,
		Combiner: sum,
	}
}

// asciiInputs writes n ASCII inputs of some thousands of words.
func asciiInputs(t *testing.T, n int) []string {
	return wordInputs(t, n, []string{"alpha", "beta", "gamma", "delta", "Alpha", "x", "epsilon", "zeta"}, 3000)
}

// streamSecret is the secret of the streaming jobs here: pool workers,
// which run a job's commands, need one.
var streamSecret = []byte("stream-test-secret")

// startStream starts a streaming job of cfg over inputs (with
// streamSecret) and n pool workers, which run its commands in an app's
// process of their own, as mrworker without a plugin does.
func startStream(t *testing.T, cfg coordinator.Config, inputs []string, n int) *Cluster {
	cfg.Secret = streamSecret
	cl := Start(t, cfg, inputs, &mr.App{Name: cfg.App}, 0)
	for i := range n {
		startPool(t, fmt.Sprintf("p%d", i+1), cl.C.Addr(), cfg.Secret, t.TempDir())
	}
	return cl
}

// sequentialStream is what mrsequential -mapper ... writes.
func sequentialStream(t *testing.T, s *protocol.Stream, inputs []string, ref executor.Reference) string {
	out := filepath.Join(t.TempDir(), "mr-out-0")
	if err := executor.SequentialStream(s, nil, inputs, input.Options{Split: input.DefaultSplit, WholeFiles: true}, ref, out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	return string(b)
}

func TestStreamingWordCountMatchesSequentialAndTheGoApp(t *testing.T) {
	inputs := asciiInputs(t, 3)
	cfg := Config(t.TempDir())
	cfg.App, cfg.Stream, cfg.SplitSize = "awkwc", awkWordCount(), 16<<10
	cl := startStream(t, cfg, inputs, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(cfg.OutDir, "mr-awkwc-all"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sequentialStream(t, cfg.Stream, inputs, executor.Reference{NReduce: cfg.NReduce}); string(got) != want {
		t.Fatalf("mr-awkwc-all differs from mrsequential -mapper/-reducer's output:\n%.300s\nwant\n%.300s", got, want)
	}
	if want := Sequential(t, WordCount(), inputs); string(got) != want {
		t.Fatalf("mr-awkwc-all differs from the Go word count's output:\n%.300s\nwant\n%.300s", got, want)
	}
	sum := cl.SummaryFile()
	if len(sum.Tasks) < 2*len(inputs) {
		t.Fatalf("%d tasks: want the inputs cut at 16 KiB", len(sum.Tasks))
	}
	if sum.Model == nil || sum.Model.Stream == nil || sum.Model.Stream.Reducer != cfg.Stream.Reducer {
		t.Fatalf("the summary's model %+v does not name the job's commands", sum.Model)
	}
}

func TestStreamingMapOnlyJobReadsParams(t *testing.T) {
	inputs := asciiInputs(t, 2)
	cfg := Config(t.TempDir())
	cfg.App, cfg.MapOnly, cfg.Params = "tag", true, map[string]string{"tag.word": "seen:"}
	cfg.Stream = &protocol.Stream{Mapper: `sed "s/^/$tag_word/"`}
	cl := startStream(t, cfg, inputs, 2)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(cfg.OutDir, "mr-tag-all"))
	want := sequentialStream(t, cfg.Stream, inputs, executor.Reference{Params: cfg.Params, MapOnly: true})
	if string(got) != want || !strings.HasPrefix(want, "seen:") {
		t.Fatalf("mr-tag-all:\n%.200s\nwant mrsequential's\n%.200s", got, want)
	}
}

func TestStreamingMapperThatFailsFailsTheJobNamingIt(t *testing.T) {
	inputs := asciiInputs(t, 2)
	cfg := Config(t.TempDir())
	cfg.App = "failing"
	cfg.SetMaxFailures(3)
	cfg.Stream = &protocol.Stream{Mapper: `cat >/dev/null; echo "cannot parse line 7" >&2; exit 1`, Reducer: "cat"}
	cl := startStream(t, cfg, inputs, 2)
	err := cl.Wait()
	if err == nil {
		t.Fatal("the job succeeded")
	}
	t.Log(err)
	for _, want := range []string{"in-", "exited with status 1", "cannot parse line 7", "failed 3 times"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the job's error %q does not say %q", err, want)
		}
	}
	for _, w := range cl.C.Summary().Workers {
		if w.Excluded != "" {
			t.Errorf("worker %s excluded (%s): the mapper's failures are the app's", w.ID, w.Excluded)
		}
	}
}

func TestPluginWorkerRefusesAStreamingJob(t *testing.T) {
	cfg := Config(t.TempDir())
	cfg.App, cfg.Stream = "wc", awkWordCount()
	cl := Start(t, cfg, asciiInputs(t, 1), WordCount(), 0)
	for _, build := range []string{"", strings.Repeat("ab", 32)} {
		wc := WorkerConfig(cl.C.Addr(), cfg, WordCount(), t.TempDir())
		wc.Build = build
		w, err := worker.New(wc)
		if err != nil {
			t.Fatal(err)
		}
		err = w.Run(context.Background())
		w.Close()
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "streaming job") || strings.Contains(err.Error(), "\n") {
			t.Errorf("a worker of build %q joined a streaming job: %v", build, err)
		}
	}
}

// Two pool workers under a secret run a word count written as two
// shipped scripts, which they fetch by SHA-256 and keep in apps/; the
// output is mrsequential's with the same scripts, and the Go word
// count's.
func TestPoolRunsAStreamingJobWithShippedScripts(t *testing.T) {
	scripts := t.TempDir()
	WriteFile(t, scripts, "map.sh", "#!/bin/sh\nexec awk '{ n = split($0, w, /[^A-Za-z]+/); for (i = 1; i <= n; i++) if (w[i] != \"\") print w[i] \"\\t1\" }'\n")
	WriteFile(t, scripts, "sum.awk", `$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k "\t" n }`+"\n")
	inputs := asciiInputs(t, 3)
	secret := []byte("stream-test-secret")
	cfg := Config(t.TempDir())
	cfg.App, cfg.Secret, cfg.WaitWorkers = "shwc", secret, 2
	cfg.Stream = &protocol.Stream{Mapper: "./map.sh", Reducer: `awk -F'\t' -f sum.awk`}
	cfg.StreamFiles = []string{filepath.Join(scripts, "map.sh"), filepath.Join(scripts, "sum.awk")}
	job, _ := startJob(t, cfg, inputs, &mr.App{Name: "shwc"})
	pools := []*testPool{
		startPool(t, "p1", job.C.Addr(), secret, t.TempDir()),
		startPool(t, "p2", job.C.Addr(), secret, t.TempDir()),
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(cfg.OutDir, "mr-shwc-all"))
	files := map[string]string{"map.sh": cfg.StreamFiles[0], "sum.awk": cfg.StreamFiles[1]}
	out := filepath.Join(t.TempDir(), "mr-out-0")
	if err := executor.SequentialStream(cfg.Stream, files, inputs, input.Options{Split: input.DefaultSplit, WholeFiles: true},
		executor.Reference{NReduce: cfg.NReduce}, out); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(out)
	if string(got) != string(want) || string(got) != Sequential(t, WordCount(), inputs) {
		t.Fatalf("mr-shwc-all:\n%.300s\nwant mrsequential's and the Go word count's:\n%.300s", got, want)
	}
	for _, p := range pools {
		if n := p.log.count(`msg="shipped file received"`); n != 2 {
			t.Errorf("pool worker %s received %d shipped files, want 2", p.name, n)
		}
		if kept, _ := filepath.Glob(filepath.Join(p.dir, "apps", "*.so")); len(kept) != 2 {
			t.Errorf("pool worker %s keeps %v in apps/, want the 2 files", p.name, kept)
		}
	}
}

// A journaled streaming job whose coordinator stops after a reduce was
// committed resumes when the same coordinator is started again: the
// same commands make the same build, the journal takes it, and the
// output is mrsequential -mapper's.
func TestJournaledStreamingJobSurvivesItsCoordinator(t *testing.T) {
	inputs := asciiInputs(t, 3)
	gate := filepath.Join(t.TempDir(), "gate")
	sum := `$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k "\t" n }`
	cfg := Config(t.TempDir())
	cfg.App, cfg.Journal, cfg.HeartbeatTimeout, cfg.Secret = "jwc", true, 5*time.Second, streamSecret
	cfg.Params = map[string]string{"gate": gate}
	cfg.Stream = &protocol.Stream{Mapper: awkWordCount().Mapper,
		// the reduce task holding "alpha" waits for the gate, which opens
		// once the coordinator was started again
		Reducer: `cat > records; if grep -q '^alpha' records; then while [ ! -e "$gate" ]; do sleep 0.05; done; fi; ` +
			`awk -F'\t' '` + sum + `' records`}
	c1, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- c1.Run(ctx) }()
	cl := &Cluster{T: t, C: c1, App: &mr.App{Name: "jwc"}, Out: cfg.OutDir, result: make(chan error, 1)}
	for i := range 2 {
		startPool(t, fmt.Sprintf("p%d", i+1), c1.Addr(), cfg.Secret, t.TempDir())
	}
	cl.WaitFor("a reduce committed", func(sum protocol.Summary) bool {
		for _, ts := range sum.Tasks {
			if strings.HasPrefix(ts.Task, "reduce-") && ts.Winner != "" {
				return true
			}
		}
		return false
	})
	stop()
	if err := <-first; err == nil || !strings.Contains(err.Error(), "coordinator stopped") {
		t.Fatalf("the first coordinator returned %v", err)
	}
	cfg.Addr = c1.Addr()
	c2, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl.C = c2
	go func() { cl.result <- c2.Run(context.Background()) }()
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(cfg.OutDir, "mr-jwc-all"))
	if want := sequentialStream(t, cfg.Stream, inputs, executor.Reference{Params: cfg.Params, NReduce: cfg.NReduce}); string(got) != want {
		t.Fatalf("mr-jwc-all differs from mrsequential -mapper's output:\n%.300s\nwant\n%.300s", got, want)
	}
	after := cl.SummaryFile()
	if len(after.Restarts) != 1 {
		t.Fatalf("restarts %+v: want one", after.Restarts)
	}
	recovered := 0
	for _, ts := range after.Tasks {
		if ts.Recovered && strings.HasPrefix(ts.Task, "reduce-") {
			recovered++
		}
	}
	if recovered == 0 {
		t.Fatal("no committed reduce was taken back from the journal")
	}
}
