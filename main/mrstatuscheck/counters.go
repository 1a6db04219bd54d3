package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"mapreduce/internal/protocol"
)

// The counters check: the summary's counters against the inputs' own
// counts and the final output's.

// checkCounters compares a summary's counters with counts of the inputs
// and of the final output taken here.
func checkCounters(b []byte, all string, args []string) []string {
	outcomes, logFile, inputs := counterOptions(args)
	var sum protocol.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		return []string{"not a summary: " + err.Error()}
	}
	in := countInputs(inputs)
	keys := int64(bytes.Count(read(all), []byte("\n")))
	c := sum.Counters
	var errs []string
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
			errs = append(errs, fmt.Sprintf("%s is %d, want %d", x.name, x.got, x.want))
		}
	}
	if c.CombinedAway <= 0 {
		errs = append(errs, "nothing combined away")
	}
	seen, bad := checkOutcomes(&sum, outcomes)
	errs = append(errs, bad...)
	if logFile != "" {
		errs = append(errs, checkLog(logFile, &c)...)
	}
	if len(errs) == 0 {
		fmt.Printf("counters: %d bytes, %d lines, %d words, %d keys, each counted once; attempts %v\n",
			in.bytes, in.lines, in.words, keys, seen)
	}
	return errs
}

// counterOptions splits the counters check's arguments: outcomes=O,...
// and log=FILE, then the inputs.
func counterOptions(args []string) (outcomes []string, logFile string, inputs []string) {
	for len(args) > 0 {
		if o, ok := strings.CutPrefix(args[0], "outcomes="); ok {
			outcomes = strings.Split(o, ",")
		} else if f, ok := strings.CutPrefix(args[0], "log="); ok {
			logFile = f
		} else {
			break
		}
		args = args[1:]
	}
	return outcomes, logFile, args
}

// inputCounts are the inputs' own counts.
type inputCounts struct{ bytes, lines, words int64 }

// countInputs counts bytes, lines (the last one even without a newline)
// and words (maximal runs of letters) in the input files.
func countInputs(inputs []string) inputCounts {
	var n inputCounts
	for _, name := range inputs {
		text := read(name)
		n.bytes += int64(len(text))
		n.lines += int64(bytes.Count(text, []byte("\n")))
		if len(text) > 0 && text[len(text)-1] != '\n' {
			n.lines++
		}
		n.words += int64(len(strings.FieldsFunc(string(text), func(r rune) bool { return !unicode.IsLetter(r) })))
	}
	return n
}

// checkOutcomes counts the summary's attempts by outcome and wants some
// of each outcome listed.
func checkOutcomes(sum *protocol.Summary, want []string) (map[string]int, []string) {
	seen := map[string]int{}
	for _, t := range sum.Tasks {
		for _, a := range t.Attempts {
			seen[a.Outcome]++
		}
	}
	var errs []string
	for _, o := range want {
		if seen[o] == 0 {
			errs = append(errs, fmt.Sprintf("no attempt %s (outcomes %v): the job did not run tasks twice", o, seen))
		}
	}
	return seen, errs
}

// checkLog wants the coordinator's "job summary" line to carry the
// summary's counters.
func checkLog(name string, c *protocol.Counters) []string {
	b := read(name)
	i := bytes.Index(b, []byte(`msg="job summary"`))
	if i < 0 {
		return []string{name + " has no job summary line"}
	}
	line, _, _ := bytes.Cut(b[i:], []byte("\n"))
	var errs []string
	want := []string{fmt.Sprintf(" counters.map_input_records=%d ", c.MapInputRecords)}
	for name, n := range c.User {
		want = append(want, fmt.Sprintf(" counters.user.%s=%d", name, n))
	}
	for _, w := range want {
		if !bytes.Contains(line, []byte(w)) {
			errs = append(errs, fmt.Sprintf("the job summary line lacks%s", w))
		}
	}
	return errs
}
