// Jobcount checks that each map task runs exactly once when no worker
// fails: a coordinator that hands out tasks twice is caught.
//
// Each Map call creates a unique marker mr-worker-jobcount-<pid>-<n> in the
// marker directory ($MR_MARKER_DIR, or the current directory), sleeps a
// random 2 to 5 seconds and emits ("a", "x"). Reduce returns the number of
// such markers, so with 8 inputs, one map task each, the output is "a 8".
//
// The sleep is random by design; the output is not, unless a map ran twice.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/markers"
)

const markerPrefix = "mr-worker-jobcount-"

// calls numbers this process's Map calls so each gets its own marker.
var calls atomic.Int64

// Map records that it ran, takes a while and emits ("a", "x").
func Map(filename string, contents string) []mr.KeyValue {
	name := fmt.Sprintf("%s%d-%d", markerPrefix, os.Getpid(), calls.Add(1))
	if _, err := markers.Create(name); err != nil {
		log.Fatalf("jobcount: %v", err)
	}
	time.Sleep(2*time.Second + rand.N(3*time.Second))
	return []mr.KeyValue{{Key: "a", Value: "x"}}
}

// Reduce returns the number of Map calls made by all workers.
func Reduce(key string, values []string) string {
	names, err := markers.Names(markerPrefix)
	if err != nil {
		log.Fatalf("jobcount: %v", err)
	}
	return strconv.Itoa(len(names))
}
