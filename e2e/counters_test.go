// counters_test.go: the job's counters are exact despite failed and
// superseded attempts.

package e2e

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"
)

// Word count with user counters, where one attempt fails (its counts are
// dropped) and one straggles past -task-timeout (a backup wins; the
// straggler's late report is refused): the summary's counters, the
// engine's and the app's, equal the inputs' own counts exactly.
func TestCounters(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.writeMarker("markers/fail-map", "")
	j.writeMarker("markers/slow-map", "3s")
	j.run("counters", 2, "-task-timeout", "1s")
	j.finish()
	j.checkOutputs("counters")
	s := j.summary("counters")
	in := countInputs(t)
	all, _ := os.ReadFile(j.path("out", "mr-counters-all"))
	keys := int64(bytes.Count(all, []byte("\n")))
	c := s.Counters
	for _, x := range []struct {
		name      string
		got, want int64
	}{
		{"map_input_bytes", c.MapInputBytes, in.bytes},
		{"map_input_records", c.MapInputRecords, in.lines},
		{"user lines", c.User["lines"], in.lines},
		{"user words", c.User["words"], in.words},
		{"map_output_records", c.MapOutputRecords, in.words},
		{"reduce_input_records", c.ReduceInputRecords, c.MapOutputRecords - c.CombinedAway},
		{"shuffled_bytes", c.ShuffledBytes, c.MapOutputBytes},
		{"user keys", c.User["keys"], keys},
		{"reduce_input_groups", c.ReduceInputGroups, keys},
		{"reduce_output_records", c.ReduceOutputRecords, keys},
	} {
		if x.got != x.want {
			t.Errorf("%s is %d, want %d", x.name, x.got, x.want)
		}
	}
	if c.CombinedAway <= 0 {
		t.Error("nothing combined away")
	}
	outcomes := map[string]int{}
	for _, task := range s.Tasks {
		for _, a := range task.Attempts {
			outcomes[a.Outcome]++
		}
	}
	if outcomes["failed"] == 0 || outcomes["lost"] == 0 {
		t.Errorf("attempts by outcome %v: want some failed and some lost (the job ran tasks twice)", outcomes)
	}
	t.Logf("%d bytes, %d lines, %d words, %d keys, each counted once; attempts %v", in.bytes, in.lines, in.words, keys, outcomes)
}

// inputCounts are the inputs' own counts.
type inputCounts struct{ bytes, lines, words int64 }

// countInputs counts bytes, lines (the last one even without a newline)
// and words (maximal runs of letters, as the counters app has them) in
// the inputs.
func countInputs(t *testing.T) inputCounts {
	var n inputCounts
	for _, name := range inputs {
		text, err := os.ReadFile(inDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		n.bytes += int64(len(text))
		n.lines += int64(bytes.Count(text, []byte("\n")))
		if len(text) > 0 && text[len(text)-1] != '\n' {
			n.lines++
		}
		n.words += int64(len(strings.FieldsFunc(string(text), func(r rune) bool { return !unicode.IsLetter(r) })))
	}
	return n
}
