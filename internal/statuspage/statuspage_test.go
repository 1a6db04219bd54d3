// Tests of the status page: what it shows of a running and a finished
// job, what it hides, its number formats, and that its script knows every
// engine counter.

package statuspage

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

func sampleStatus() *protocol.Status {
	eta := int64(12400)
	return &protocol.Status{Phase: "reduce", MapsDone: 2, Maps: 2, ReducesDone: 1, Reduces: 3, Workers: 2, LiveWorkers: 1,
		Version: 1, App: "wc", Started: time.Unix(0, 0), ElapsedMS: 4000,
		MapTasks:    protocol.TaskCounts{Total: 2, Done: 2, Attempts: 3, Outcomes: map[string]int{"won": 2, "failed": 1}},
		ReduceTasks: protocol.TaskCounts{Total: 3, Done: 1, Running: 1, Idle: 1, Attempts: 2, Slow: 1, Outcomes: map[string]int{"won": 1, "running": 1}},
		Throughput: protocol.Throughput{BytesPerS: 2.5e6, RecordsPerS: 1234,
			Points: []protocol.Rate{{TMS: 1000, BytesPerS: 1e6}, {TMS: 2000, BytesPerS: 2e6, RecordsPerS: 1234}}},
		Counters:     protocol.Counters{MapInputRecords: 1234567, User: map[string]int64{"bad <lines>": 3}},
		WorkerCounts: protocol.WorkerCounts{Working: 1, Dead: 1},
		Work:         protocol.Work{Unit: "bytes", Total: 2.9e9, Done: 1.23e9, ETAMS: &eta},
		Journal:      "/data/out/mr-journal", AppBuild: strings.Repeat("ab", 32),
		Restarts: []protocol.Restart{{At: "3.2s"}, {At: "9.1s", ReducesRecovered: 1, MapsPending: 2}},
		Declined: []string{"10.0.0.9: plugin was built with another toolchain <go1.25>"},
		Tasks: protocol.TaskList{Limit: 200, Omitted: 1, Rows: []protocol.TaskRow{
			{Task: "map-2", State: "done", AbsorbedBy: "map-0", Input: "big.txt [134217728, 201326592)", Attempts: []protocol.AttemptRow{}},
			{Task: "map-1", State: "done", Failed: true, Recovered: true, Input: "big.txt [0, 67108864)", InputBytes: 67108864, Attempts: []protocol.AttemptRow{
				{ID: "map-1.a1", Worker: "w1", Outcome: "failed", DurationMS: 300},
				{ID: "map-1.a2", Worker: "w2", Outcome: "won", StartMS: 300, DurationMS: 700}}},
			{Task: "reduce-2", State: "running", Slow: true, Attempts: []protocol.AttemptRow{
				{ID: "reduce-2.a1", Worker: "w2", Outcome: "running", StartMS: 1000, DurationMS: 3000, Slow: true, Progress: 0.475}}}}},
		WorkerList: protocol.WorkerList{Limit: 200, Rows: []protocol.WorkerRow{
			{ID: "w1", Addr: "10.0.0.2:7100", State: "dead", Dead: true, SilentMS: 5000, Attempts: 1, Failed: 1},
			{ID: "w2", Addr: "10.0.0.3:7100", State: "working", Current: "reduce-2.a1", Attempts: 3, Won: 2, ReadBytes: 1500,
				Pool: true, Jobs: 3, Holds: 12, Progress: 0.475, ReadSoFar: 1000},
			{ID: "w3", Addr: "10.0.0.4:7100", State: "exited", Attempts: 1, Won: 1}}},
	}
}

func TestRenderShowsTheJob(t *testing.T) {
	var b strings.Builder
	if err := Render(&b, sampleStatus()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<span id="maps-done">2</span>/<span id="maps-total">2</span>`,
		`<span id="reduces-done">1</span>/<span id="reduces-total">3</span>`,
		`<span id="workers-live">1</span> <span class="unit">live</span>`,
		`<span id="worker-states">1 working · 0 idle · 1 dead</span> · of <span id="workers-total">2</span> registrations`,
		`<span id="eta" class="muted">eta 12 s</span>`,
		`>build abababababab</span>`,
		`<div class="sub" id="work">work done: 42% of 2.9 GB (input and map output)</div>`,
		`<span id="rate-note">now</span>`,
		`data-recovered="true" data-input="big.txt [0, 67108864)">`,
		`<td>map-1<div class="in">big.txt [0, 67108864) · 67 MB</div></td>`,
		`<span class="tag" title="taken back from before a restart, not run again">recovered</span>`,
		`<span class="tag" title="its input is mapped by map-0's attempts, into their output">in map-0</span>`,
		`data-outcome="running" data-progress="47" style="top:2px;left:25.00%;width:75.00%;--p:47%"`,
		`reduce-2.a1</span> on w2: running 47%, 3.0 s`,
		`<span class="muted">reduce-2.a1 47%</span>`,
		`<td class="n">~2.5 kB</td>`,
		`pool · 3 jobs before</span>`,
		`<span class="tag" data-holds="12" title="inputs of the job its -data directory holds">data · 12 inputs</span>`,
		`Journal <code id="journal">/data/out/mr-journal</code>: restarted 2 times: at 3.2s; at 9.1s (1 reduce outputs kept, 2 map outputs awaited from their owners).`,
		`<li>10.0.0.9: plugin was built with another toolchain &lt;go1.25&gt;</li>`,
		`data-task="map-1" data-state="done" data-failed="true"`,
		`data-task="reduce-2" data-state="running" data-failed="false" data-slow="true"`,
		`data-worker="w1" data-state="dead"`,
		"<td>exited</td>\n    <td class=\"n\">—</td>", // not "0 ms ago": it is gone
		`<polygon class="bytes" points="0,60 75.0,31.0 150.0,2.0 150.0,60"/>`,
		`<div class="kv" data-counter="map_input_records"><span>map input records</span><span class="n">1,234,567</span></div>`,
		`bad &lt;lines&gt;`,
		`2.5 MB/s`, `1.2 k records/s`,
		`0 running · 0 idle · 3 attempts · 1 failed`,
		`3 shown, 1 more not listed`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script src") || strings.Contains(page, "<link") || regexp.MustCompile(`https?://`).MatchString(page) {
		t.Error("the page refers to something outside itself")
	}
	// The embedded data is the status as JSON, for the page's script.
	m := regexp.MustCompile(`(?s)<script id="data" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no embedded data")
	}
	var st protocol.Status
	if err := json.Unmarshal([]byte(m[1]), &st); err != nil || st.Counters.User["bad <lines>"] != 3 || st.Tasks.Rows[2].Task != "reduce-2" || st.Tasks.Rows[0].AbsorbedBy != "map-0" {
		t.Fatalf("embedded data: %v, %+v", err, st)
	}
}

func TestRenderFinishedJob(t *testing.T) {
	st := sampleStatus()
	st.Over, st.Phase = true, "done"
	st.Result = &protocol.Result{Elapsed: "4s", OutDir: "/data/out", Final: "mr-wc-all", Outputs: "mr-out-0 … mr-out-2",
		SummaryFile: "/data/out/mr-wc-summary.json", MapAttempts: 3, ReduceAttempts: 3}
	st.Throughput.MeanBytesPerS, st.Throughput.MeanRecordsPerS = 61e6, 2e6
	st.WorkerCounts, st.Work.ETAMS = protocol.WorkerCounts{Exited: 2}, nil
	var b strings.Builder
	if err := Render(&b, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Job done in 4s`, `<code id="final">mr-wc-all</code>`, `/data/out/mr-wc-summary.json`, `data-over="true"`,
		`<div class="big" id="rate">61 MB/s</div>`, `2.0 M records/s</span> · <span id="rate-note">mean over the job</span>`,
		`<span id="eta" class="muted" hidden>`, `<span id="workers-live">0</span>`, `0 working · 0 idle · 2 exited`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(b.String(), `<section id="result" class="result done" hidden>`) {
		t.Error("result hidden")
	}
}

func TestRenderHidesWhatIsNotThere(t *testing.T) {
	st := sampleStatus()
	st.Journal, st.Restarts, st.Declined, st.AppBuild, st.Work.ETAMS = "", nil, nil, "", nil
	var b strings.Builder
	if err := Render(&b, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section id="notes" hidden></section>`, `<span id="eta" class="muted">eta —</span>`, `SHA-256 " hidden>build </span>`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestFormats(t *testing.T) {
	for ms, want := range map[int64]string{340: "340 ms", 1234: "1.2 s", 42000: "42 s", 185000: "3m05s"} {
		if got := duration(ms); got != want {
			t.Errorf("duration(%d) = %q, want %q", ms, got, want)
		}
	}
	for f, want := range map[float64]int{0: 0, 0.475: 47, 0.999: 99, 1: 100, 1.5: 100, -1: 0} {
		if got := whole(f); got != want {
			t.Errorf("whole(%v) = %d, want %d", f, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
}

// The page's script lists every engine counter, the data-local ones too,
// under the name the server side gives it.
func TestScriptListsEveryEngineCounter(t *testing.T) {
	var c protocol.Counters
	for _, e := range c.Engine() {
		if want := `["` + e.Key + `", "` + e.Name + `"]`; !strings.Contains(pageHTML, want) {
			t.Errorf("the page's script lacks %s", want)
		}
	}
}

// The job's parameters, map-only shape and total order (its sample and
// skew) are on the page; a plain job shows no such line.
func TestRenderShowsTheModel(t *testing.T) {
	st := sampleStatus()
	st.Model = &protocol.JobModel{Params: map[string]string{"pattern": "<whale>", "a": "1"},
		TotalOrder: &protocol.TotalOrder{Splits: 10, Bytes: 10485760, Keys: 104857, SampleMS: 23, Cuts: 2, Shares: []int64{10, 20, 30}, Skew: 1.5}}
	var b strings.Builder
	if err := Render(&b, st); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<p id="model">Parameters: a=1, pattern=&lt;whale&gt;.`, "104857 keys sampled from 10 splits", "skew 1.50 (outputs: 10, 20, 30 bytes)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	st.Model = nil
	b.Reset()
	Render(&b, st)
	if strings.Contains(b.String(), "Parameters: a=1") {
		t.Error("a job without a model shows one")
	}
}
