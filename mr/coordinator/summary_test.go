// summary_test.go: the summary file, encoded one task at a time, is
// what encoding/json writes.

package coordinator

import (
	"bytes"
	"encoding/json"
	"testing"

	"mapreduce/internal/protocol"
)

// encodeSummary writes what a json.Encoder with SetIndent("", "  ")
// writes, one task at a time, whatever the tasks (none, nil, several,
// with strings to escape).
func TestEncodeSummaryAsEncoder(t *testing.T) {
	full := protocol.Summary{App: "wc", Phase: "failed", Failure: `map-0 "tasks": null <&> failed`, Elapsed: "1s", Maps: 2,
		Reduces: 1, MapAttempts: 3, ReduceAttempts: 1,
		Tasks: []protocol.TaskSummary{
			{Task: "map-0", Winner: "map-0.a2", Attempts: []protocol.AttemptSummary{
				{ID: "map-0.a1", Worker: "w3", Outcome: "lost"}, {ID: "map-0.a2", Worker: "w2", Outcome: "won"}}},
			{Task: "map-1"},
			{Task: "reduce-0", Winner: "reduce-0.a1", Attempts: []protocol.AttemptSummary{{ID: "reduce-0.a1", Worker: "w1", Outcome: "won"}}},
		},
		Workers:  []protocol.WorkerSummary{{ID: "w1", Dead: true}, {ID: "w2"}},
		Journal:  "out/mr-job.journal",
		Restarts: []protocol.Restart{{At: "2s", ReducesRecovered: 1}},
		Declined: []string{"10.0.0.3: tasks: null"},
	}
	none := full
	none.Tasks = []protocol.TaskSummary{}
	null := full
	null.Tasks = nil
	for name, sum := range map[string]protocol.Summary{"full": full, "no tasks": none, "nil tasks": null} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			t.Fatal(err)
		}
		if err := encodeSummary(&got, sum); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: encodeSummary wrote\n%s\nwant\n%s", name, got.String(), want.String())
		}
	}
}
