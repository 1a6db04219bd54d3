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
	return &protocol.Status{Phase: "reduce", MapsDone: 2, Maps: 2, ReducesDone: 1, Reduces: 3, Workers: 2, LiveWorkers: 1,
		Version: 1, App: "wc", Started: time.Unix(0, 0), ElapsedMS: 4000,
		MapTasks:    protocol.TaskCounts{Total: 2, Done: 2, Attempts: 3, Outcomes: map[string]int{"won": 2, "failed": 1}},
		ReduceTasks: protocol.TaskCounts{Total: 3, Done: 1, Running: 1, Idle: 1, Attempts: 2, Slow: 1, Outcomes: map[string]int{"won": 1, "running": 1}},
		Throughput: protocol.Throughput{BytesPerS: 2.5e6, RecordsPerS: 1234,
			Points: []protocol.Rate{{TMS: 1000, BytesPerS: 1e6}, {TMS: 2000, BytesPerS: 2e6, RecordsPerS: 1234}}},
		Counters: protocol.Counters{MapInputRecords: 1234567, User: map[string]int64{"bad <lines>": 3}},
		Tasks: protocol.TaskList{Limit: 200, Omitted: 2, Rows: []protocol.TaskRow{
			{Task: "map-1", State: "done", Failed: true, Attempts: []protocol.AttemptRow{
				{ID: "map-1.a1", Worker: "w1", Outcome: "failed", DurationMS: 300},
				{ID: "map-1.a2", Worker: "w2", Outcome: "won", StartMS: 300, DurationMS: 700}}},
			{Task: "reduce-2", State: "running", Slow: true, Attempts: []protocol.AttemptRow{
				{ID: "reduce-2.a1", Worker: "w2", Outcome: "running", StartMS: 1000, DurationMS: 3000, Slow: true}}}}},
		WorkerList: protocol.WorkerList{Limit: 200, Rows: []protocol.WorkerRow{
			{ID: "w1", Addr: "10.0.0.2:7100", State: "dead", Dead: true, SilentMS: 5000, Attempts: 1, Failed: 1},
			{ID: "w2", Addr: "10.0.0.3:7100", State: "working", Current: "reduce-2.a1", Attempts: 3, Won: 2, ReadBytes: 1500}}},
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
		`<span id="workers-live">1</span>/<span id="workers-total">2</span>`,
		`data-task="map-1" data-state="done" data-failed="true"`,
		`data-task="reduce-2" data-state="running" data-failed="false" data-slow="true"`,
		`data-worker="w1" data-state="dead"`,
		`style="top:2px;left:25.00%;width:75.00%"`,
		`<polygon class="bytes" points="0,60 75.0,31.0 150.0,2.0 150.0,60"/>`,
		`<div class="kv" data-counter="map_input_records"><span>map input records</span><span class="n">1,234,567</span></div>`,
		`bad &lt;lines&gt;`,
		`2.5 MB/s`, `1.2 k records/s`,
		`0 running · 0 idle · 3 attempts · 1 failed`,
		`2 shown, 2 more not listed`,
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
	if err := json.Unmarshal([]byte(m[1]), &st); err != nil || st.Counters.User["bad <lines>"] != 3 || st.Tasks.Rows[1].Task != "reduce-2" {
		t.Fatalf("embedded data: %v, %+v", err, st)
	}
}

func TestRenderFinishedJob(t *testing.T) {
	st := sampleStatus()
	st.Over, st.Phase = true, "done"
	st.Result = &protocol.Result{Elapsed: "4s", OutDir: "/data/out", Final: "mr-wc-all", Outputs: "mr-out-0 … mr-out-2",
		SummaryFile: "/data/out/mr-wc-summary.json", MapAttempts: 3, ReduceAttempts: 3}
	var b strings.Builder
	if err := Render(&b, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Job done in 4s`, `<code id="final">mr-wc-all</code>`, `/data/out/mr-wc-summary.json`, `data-over="true"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(b.String(), `<section id="result" class="result done" hidden>`) {
		t.Error("result hidden")
	}
}

func TestFormats(t *testing.T) {
	for ms, want := range map[int64]string{340: "340 ms", 1234: "1.2 s", 42000: "42 s", 185000: "3m05s"} {
		if got := Duration(ms); got != want {
			t.Errorf("Duration(%d) = %q, want %q", ms, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}
