// Rtiming checks that workers run reduce tasks in parallel.
//
// Map emits ("a", "1") through ("j", "1"), so there are ten distinct keys
// to spread over the reduce tasks. Each Reduce call creates the marker
// mr-worker-reduce-<pid> in the marker directory ($MR_MARKER_DIR, or the
// current directory), counts the live processes that have such a marker
// before and after sleeping one second, removes its marker and returns the
// larger count. Some output value is 2 or more when two workers were inside
// Reduce at the same time.
//
// The output depends on scheduling by design.
package main

import (
	"log"
	"strconv"
	"time"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/markers"
)

const markerPrefix = "mr-worker-reduce-"

// Map emits one record for each of the keys "a" to "j".
func Map(filename string, contents string) []mr.KeyValue {
	kva := make([]mr.KeyValue, 0, 10)
	for k := 'a'; k <= 'j'; k++ {
		kva = append(kva, mr.KeyValue{Key: string(k), Value: "1"})
	}
	return kva
}

// Reduce returns how many workers were running a reduce at the same time
// as this call.
func Reduce(key string, values []string) string {
	n, err := markers.Overlap(markerPrefix, time.Second)
	if err != nil {
		log.Fatalf("rtiming: %v", err)
	}
	return strconv.Itoa(n)
}
