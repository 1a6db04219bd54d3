// Command mrcheck answers questions about a finished job from its summary,
// the mr-<app>-summary.json the coordinator writes next to the outputs
// (type protocol.Summary), for people and scripts that would rather not
// parse the JSON themselves.
//
//	mrcheck SUMMARY QUERY [ARG]      print the answer, one item a line (none if empty)
//	mrcheck SUMMARY expect FACT...   check facts about the job
//
// Queries (an empty answer prints none, as facts write it):
//
//	app, phase, failure          the job's app, final phase and failure
//	maps, reduces                how many map and reduce tasks
//	map_attempts, reduce_attempts
//	                             how many attempts of each kind
//	attempts [TASK]              how many attempts in all, or of TASK (map-3)
//	workers                      how many workers registered
//	restarts                     how many times a journaled job's coordinator
//	                             was started again on it
//	winner TASK                  TASK's winning attempt (map-3.a2)
//	worker ATTEMPT               the worker that ran ATTEMPT (w2)
//	outcome ATTEMPT              how ATTEMPT ended: won, lost, died...
//	won-by WORKER                the tasks whose winning attempt ran on WORKER
//	dead                         the workers declared dead
//	not-won                      ATTEMPT=OUTCOME for every attempt that did not win
//	fetch-failures WORKER        how often reducers could not fetch WORKER's map outputs
//	recovered                    the tasks taken back after a restart, not run again
//	pool-jobs                    ID=N for each pool worker: the jobs it served before
//	counter NAME                 an engine counter by its key (local_maps, coordinator_bytes...)
//	copies-differ                the inputs whose copy in a worker's -data directory differed
//	local_percent, peer_percent, coordinator_percent
//	                             the share of map input bytes read locally, from peers,
//	                             from the coordinator, in whole percent rounded down
//
// A fact is QUERY[:ARG]=VALUE or QUERY[:ARG]!=VALUE: the query's answer,
// its items joined by commas, compared with VALUE, where "none" stands for
// an empty answer; or QUERY[:ARG]>=N or QUERY[:ARG]<=N, a bound on a
// number. expect checks every fact, for example
//
//	mrcheck mr-wc-summary.json expect map_attempts=9 attempts:map-3=2 \
//		outcome:map-3.a1=lost won-by:w3=none dead=none local_percent>=95
//
// and names the first that does not hold: "mrcheck: attempts:map-3 is 1,
// want 2".
//
// Exit status: 0 when the query was answered or every fact holds, 1 when
// a fact does not hold, 2 when the command line is wrong or names a task,
// attempt or worker the summary does not have, or when the summary cannot
// be read. Every failure is one line on standard error, "mrcheck: ...".
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"mapreduce/internal/protocol"
)

const usage = `usage: mrcheck SUMMARY QUERY [ARG]
       mrcheck SUMMARY expect FACT...
queries: app, phase, failure, maps, reduces, map_attempts, reduce_attempts,
         attempts [TASK], workers, restarts, winner TASK, worker ATTEMPT,
         outcome ATTEMPT, won-by WORKER, dead, not-won, fetch-failures WORKER,
         recovered, pool-jobs, counter NAME, copies-differ, local_percent,
         peer_percent, coordinator_percent
facts:   QUERY[:ARG]=VALUE or QUERY[:ARG]!=VALUE; VALUE is the answer's
         items joined by commas, or none; QUERY[:ARG]>=N or <=N for numbers
`

// Exit statuses.
const (
	exitOK    = 0
	exitFalse = 1 // a fact does not hold
	exitError = 2 // bad command line, unknown name, unreadable summary
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its environment passed in; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	status, err := check(args, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "mrcheck: %v\n", err)
	}
	return status
}

// check parses the command line, reads the summary and answers.
func check(args []string, stdout io.Writer) (int, error) {
	if len(args) < 2 {
		return exitError, errors.New("want a summary file and a query (mrcheck -h for help)")
	}
	file, cmd, rest := args[0], args[1], args[2:]
	if cmd == "expect" {
		facts, err := parseFacts(rest)
		if err != nil {
			return exitError, err
		}
		sum, err := load(file)
		if err != nil {
			return exitError, err
		}
		return expect(sum, facts)
	}
	req, err := newRequest(cmd, rest)
	if err != nil {
		return exitError, err
	}
	sum, err := load(file)
	if err != nil {
		return exitError, err
	}
	items, err := req.answer(sum)
	if err != nil {
		return exitError, err
	}
	if len(items) == 0 {
		items = []string{"none"} // as facts write an empty answer
	}
	for _, it := range items {
		fmt.Fprintln(stdout, it)
	}
	return exitOK, nil
}

// load decodes the summary in file.
func load(file string) (*protocol.Summary, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err // names the file already
	}
	var sum protocol.Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		return nil, fmt.Errorf("%s: not a job summary: %v", file, err)
	}
	if sum.Phase == "" {
		return nil, fmt.Errorf("%s: not a job summary: no phase", file)
	}
	return &sum, nil
}

// join is how an answer prints on one line: items joined by commas, or
// "none".
func join(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ",")
}
