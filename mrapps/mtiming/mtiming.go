// Mtiming checks that workers run map tasks in parallel.
//
// Each Map call creates the marker mr-worker-map-<pid> in the marker
// directory ($MR_MARKER_DIR, or the current directory), counts the live
// processes that have such a marker before and after sleeping one second,
// removes its marker and emits ("times-<pid>", "1") and
// ("parallel-<pid>", "<max count>"). Reduce counts the times-* records and
// takes the maximum of the parallel-* ones, so the output has one times-
// line per worker that ran a map and a parallel- value of 2 or more when
// two workers were inside Map at the same time.
//
// The output depends on scheduling and process ids by design.
package main

import (
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/markers"
)

const markerPrefix = "mr-worker-map-"

// Map records this worker's process id and how many workers were running a
// map at the same time as this call.
func Map(filename string, contents string) []mr.KeyValue {
	n, err := markers.Overlap(markerPrefix, time.Second)
	if err != nil {
		log.Fatalf("mtiming: %v", err)
	}
	pid := strconv.Itoa(os.Getpid())
	return []mr.KeyValue{
		{Key: "times-" + pid, Value: "1"},
		{Key: "parallel-" + pid, Value: strconv.Itoa(n)},
	}
}

// Reduce returns the number of map calls for a times-* key and the largest
// overlap seen for a parallel-* key.
func Reduce(key string, values []string) string {
	if strings.HasPrefix(key, "parallel-") {
		return strconv.Itoa(maxInt(values))
	}
	return strconv.Itoa(len(values))
}

// maxInt returns the largest of values parsed as integers, or 0; values
// that do not parse are ignored.
func maxInt(values []string) int {
	m := 0
	for _, v := range values {
		if n, err := strconv.Atoi(v); err == nil {
			m = max(m, n)
		}
	}
	return m
}
