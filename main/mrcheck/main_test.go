// Tests of mrcheck on summaries written by the tests: every query,
// expect's facts, one-line refusals of bad input, and a usage that lists
// every query.

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// doneJob is a finished job of 2 maps and 1 reduce on workers w1..w3: w3
// straggled on map-0 and lost to a backup on w2; w1 won map-1 and the
// reduce, then died.
func doneJob() protocol.Summary {
	return protocol.Summary{App: "wc", Phase: "done", Maps: 2, Reduces: 1, MapAttempts: 3, ReduceAttempts: 1,
		Tasks: []protocol.TaskSummary{
			{Task: "map-0", Winner: "map-0.a2", Attempts: []protocol.AttemptSummary{
				{ID: "map-0.a1", Worker: "w3", Outcome: "lost"},
				{ID: "map-0.a2", Worker: "w2", Outcome: "won"}}},
			{Task: "map-1", Winner: "map-1.a1", Attempts: []protocol.AttemptSummary{
				{ID: "map-1.a1", Worker: "w1", Outcome: "won"}}},
			{Task: "reduce-0", Winner: "reduce-0.a1", Attempts: []protocol.AttemptSummary{
				{ID: "reduce-0.a1", Worker: "w1", Outcome: "won"}}},
		},
		Workers:  []protocol.WorkerSummary{{ID: "w1", Dead: true}, {ID: "w2", Differ: []string{"b.txt", "a.txt"}}, {ID: "w3", Differ: []string{"a.txt"}}},
		Counters: protocol.Counters{LocalMaps: 1, PeerMaps: 1, LocalBytes: 970, PeerBytes: 20, CoordinatorBytes: 10},
	}
}

// resumedJob is doneJob, journaled, whose coordinator was started twice
// more on its journal.
func resumedJob() protocol.Summary {
	s := doneJob()
	s.Journal = "out/mr-wc-journal"
	s.Restarts = []protocol.Restart{{At: "1.2s", ReducesRecovered: 0, MapsPending: 2}, {At: "3.4s", ReducesRecovered: 1}}
	return s
}

// fetched is doneJob where reducers could not fetch w3's map-0.a1 twice
// and then three times (before it lost), map-1 was taken back after a
// restart, and w1 and w3 are pool workers (w3 served 2 jobs before).
func fetched() protocol.Summary {
	s := doneJob()
	s.Tasks[0].Attempts[0].FetchFailures = 5
	s.Tasks[1].Recovered = true
	s.Workers[0].Pool, s.Workers[2].Pool, s.Workers[2].Jobs = true, true, 2
	return s
}

// failedJob failed in its map phase: map-0 never won.
func failedJob() protocol.Summary {
	return protocol.Summary{App: "crash", Phase: "failed", Failure: "map-0 failed 3 times", Maps: 1, Reduces: 1,
		MapAttempts: 3,
		Tasks: []protocol.TaskSummary{
			{Task: "map-0", Attempts: []protocol.AttemptSummary{
				{ID: "map-0.a1", Worker: "w1", Outcome: "failed"},
				{ID: "map-0.a2", Worker: "w1", Outcome: "failed"},
				{ID: "map-0.a3", Worker: "w1", Outcome: "failed"}}},
			{Task: "reduce-0"},
		},
		Workers: []protocol.WorkerSummary{{ID: "w1"}},
	}
}

// save writes sum as JSON into a fresh file and returns its name.
func save(t *testing.T, sum protocol.Summary) string {
	t.Helper()
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return saveBytes(t, data)
}

func saveBytes(t *testing.T, data []byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "mr-test-summary.json")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// mrcheck runs the command on file with args; it returns the exit status,
// standard output and standard error.
func mrcheck(file string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	status := run(append([]string{file}, args...), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestQueries(t *testing.T) {
	done, failed := doneJob(), failedJob()
	tests := []struct {
		sum  protocol.Summary
		args []string
		want string // standard output
	}{
		{done, []string{"app"}, "wc\n"},
		{done, []string{"phase"}, "done\n"},
		{done, []string{"failure"}, "none\n"},
		{failed, []string{"phase"}, "failed\n"},
		{failed, []string{"failure"}, "map-0 failed 3 times\n"},
		{done, []string{"maps"}, "2\n"},
		{done, []string{"reduces"}, "1\n"},
		{done, []string{"map_attempts"}, "3\n"},
		{done, []string{"reduce_attempts"}, "1\n"},
		{failed, []string{"reduce_attempts"}, "0\n"},
		{done, []string{"attempts"}, "4\n"},
		{done, []string{"attempts", "map-0"}, "2\n"},
		{done, []string{"attempts", "reduce-0"}, "1\n"},
		{failed, []string{"attempts", "reduce-0"}, "0\n"},
		{done, []string{"workers"}, "3\n"},
		{done, []string{"restarts"}, "0\n"},
		{resumedJob(), []string{"restarts"}, "2\n"},
		{done, []string{"winner", "map-0"}, "map-0.a2\n"},
		{failed, []string{"winner", "map-0"}, "none\n"},
		{done, []string{"worker", "map-0.a1"}, "w3\n"},
		{done, []string{"outcome", "map-0.a1"}, "lost\n"},
		{done, []string{"outcome", "reduce-0.a1"}, "won\n"},
		{done, []string{"won-by", "w1"}, "map-1\nreduce-0\n"},
		{done, []string{"won-by", "w2"}, "map-0\n"},
		{done, []string{"won-by", "w3"}, "none\n"}, // ran map-0.a1, which lost
		{done, []string{"dead"}, "w1\n"},
		{failed, []string{"dead"}, "none\n"},
		{done, []string{"not-won"}, "map-0.a1=lost\n"},
		{failed, []string{"not-won"}, "map-0.a1=failed\nmap-0.a2=failed\nmap-0.a3=failed\n"},
		{fetched(), []string{"fetch-failures", "w3"}, "5\n"},
		{fetched(), []string{"fetch-failures", "w2"}, "0\n"},
		{fetched(), []string{"recovered"}, "map-1\n"},
		{done, []string{"recovered"}, "none\n"},
		{fetched(), []string{"pool-jobs"}, "w1=0\nw3=2\n"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		status, stdout, stderr := mrcheck(save(t, tt.sum), tt.args...)
		if status != exitOK || stdout != tt.want || stderr != "" {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want 0, %q, nothing", name, status, stdout, stderr, tt.want)
		}
	}
}

func TestExpect(t *testing.T) {
	tests := []struct {
		facts  []string
		status int
		reason string // standard error without "mrcheck: " and "\n"
	}{
		{[]string{"maps=2", "reduces=1", "map_attempts=3", "reduce_attempts=1", "workers=3"}, exitOK, ""},
		{[]string{"phase=done", "failure=none", "app=wc", "attempts=4"}, exitOK, ""},
		{[]string{"attempts:map-0=2", "attempts:map-1=1", "outcome:map-0.a1=lost"}, exitOK, ""},
		{[]string{"winner:map-0=map-0.a2", "worker:map-0.a2=w2", "worker:map-0.a2!=w3"}, exitOK, ""},
		{[]string{"won-by:w1=map-1,reduce-0", "won-by:w3=none", "won-by:w2!=none"}, exitOK, ""},
		{[]string{"dead=w1", "not-won=map-0.a1=lost"}, exitOK, ""},
		{[]string{"counter:local_maps=1", "counter:peer_bytes=20", "local_percent>=97", "coordinator_percent<=1"}, exitOK, ""},
		{[]string{"local_percent>=98"}, exitFalse, "local_percent is 97, want >= 98"},
		{[]string{"copies-differ=a.txt,b.txt"}, exitOK, ""},
		{[]string{"coordinator_percent<=0"}, exitFalse, "coordinator_percent is 1, want <= 0"},
		{[]string{"counter:nope=1"}, exitError, `no counter "nope" in the summary`},
		{[]string{"maps>=x"}, exitError, `fact "maps>=x": want a number after >=`},
		{[]string{"maps=2", "map_attempts=2"}, exitFalse, "map_attempts is 3, want 2"},
		{[]string{"attempts:map-0=1"}, exitFalse, "attempts:map-0 is 2, want 1"},
		{[]string{"outcome:map-0.a1=died"}, exitFalse, "outcome:map-0.a1 is lost, want died"},
		{[]string{"won-by:w1=none"}, exitFalse, "won-by:w1 is map-1,reduce-0, want none"},
		{[]string{"worker:map-0.a2!=w2"}, exitFalse, "worker:map-0.a2 is w2, want anything else"},
		{[]string{"dead=none"}, exitFalse, "dead is w1, want none"},
		{[]string{"not-won=none"}, exitFalse, "not-won is map-0.a1=lost, want none"},
		{[]string{"failure=oops"}, exitFalse, "failure is none, want oops"},
		// The first false fact is the reason.
		{[]string{"maps=3", "reduces=2"}, exitFalse, "maps is 2, want 3"},
		// A fact naming what the summary lacks is an error, even after a false one.
		{[]string{"maps=3", "attempts:map-9=1"}, exitError, "no task map-9 in the summary (maps=2 reduces=1)"},
		{[]string{"outcome:map-0.a7=won"}, exitError, "no attempt map-0.a7 in the summary"},
		{[]string{"won-by:w9=none"}, exitError, "no worker w9 in the summary (workers: w1,w2,w3)"},
		// Facts that do not parse.
		{nil, exitError, "expect needs at least one fact, QUERY[:ARG]=VALUE"},
		{[]string{"maps"}, exitError, `fact "maps": want QUERY[:ARG]=VALUE (none for an empty answer)`},
		{[]string{"dead="}, exitError, `fact "dead=": want QUERY[:ARG]=VALUE (none for an empty answer)`},
		{[]string{"=2"}, exitError, `fact "=2": want QUERY[:ARG]=VALUE (none for an empty answer)`},
		{[]string{"tasks=3"}, exitError, `fact "tasks=3": unknown query "tasks" (mrcheck -h lists them)`},
		{[]string{"maps:map-0=2"}, exitError, `fact "maps:map-0=2": maps takes no argument`},
		{[]string{"outcome=won"}, exitError, `fact "outcome=won": outcome: missing ATTEMPT`},
		{[]string{"attempts:=2"}, exitError, `fact "attempts:=2": attempts: missing TASK`},
	}
	file := save(t, doneJob())
	for _, tt := range tests {
		name := strings.Join(tt.facts, " ")
		status, stdout, stderr := mrcheck(file, append([]string{"expect"}, tt.facts...)...)
		want := ""
		if tt.reason != "" {
			want = "mrcheck: " + tt.reason + "\n"
		}
		if status != tt.status || stdout != "" || stderr != want {
			t.Errorf("expect %s: status %d, stdout %q, stderr %q; want %d, nothing, %q",
				name, status, stdout, stderr, tt.status, want)
		}
	}
}

// TestBadInput: every failure is one "mrcheck: " line and status 2.
func TestBadInput(t *testing.T) {
	good := save(t, doneJob())
	missing := filepath.Join(t.TempDir(), "no-such-summary.json")
	tests := []struct {
		name string
		args []string
		want string // a part of the one line
	}{
		{"no arguments", nil, "want a summary file and a query"},
		{"no query", []string{good}, "want a summary file and a query"},
		{"missing file", []string{missing, "maps"}, "no-such-summary.json: no such file"},
		{"empty file", []string{saveBytes(t, nil), "maps"}, "not a job summary: unexpected end of JSON input"},
		{"bad JSON", []string{saveBytes(t, []byte(`{"app": "wc",`)), "maps"}, "not a job summary"},
		{"wrong types", []string{saveBytes(t, []byte(`{"maps": "eight"}`)), "maps"}, "not a job summary"},
		{"other JSON", []string{saveBytes(t, []byte(`{"hello": 1}`)), "maps"}, "not a job summary: no phase"},
		{"JSON array", []string{saveBytes(t, []byte(`[1, 2]`)), "maps"}, "not a job summary"},
		{"unknown query", []string{good, "tasks"}, `unknown query "tasks"`},
		{"unknown task", []string{good, "winner", "map-7"}, "no task map-7 in the summary"},
		{"attempt for task", []string{good, "outcome", "map-0"}, "no attempt map-0 in the summary"},
		{"unknown worker", []string{good, "won-by", "w4"}, "no worker w4 in the summary"},
		{"missing argument", []string{good, "winner"}, "winner: missing TASK"},
		{"extra argument", []string{good, "phase", "map-0"}, "phase takes no argument"},
		{"two arguments", []string{good, "attempts", "map-0", "map-1"}, "attempts takes one TASK, not 2 arguments"},
		{"query checked first", []string{missing, "tasks"}, `unknown query "tasks"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := run(tt.args, &stdout, &stderr)
		line := stderr.String()
		if status != exitError || stdout.Len() != 0 || !strings.HasPrefix(line, "mrcheck: ") ||
			strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") || !strings.Contains(line, tt.want) {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want %d, nothing, one line with %q",
				tt.name, status, stdout.String(), line, exitError, tt.want)
		}
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"-h"}, &stdout, &stderr); status != exitOK ||
		!strings.HasPrefix(stdout.String(), "usage: mrcheck") || stderr.Len() != 0 {
		t.Errorf("-h: status %d, stdout %q, stderr %q", status, stdout.String(), stderr.String())
	}
}

// TestUsageListsEveryQuery keeps the usage text in step with the queries.
func TestUsageListsEveryQuery(t *testing.T) {
	for name := range queries {
		if !strings.Contains(usage, name) {
			t.Errorf("usage does not mention %q", name)
		}
	}
}
