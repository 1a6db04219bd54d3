// Straggler is word count with a slow machine built in, for the fault
// scenarios of e2e.TestLAN.
//
// Its output is exactly wc's: a word is a maximal run of Unicode letters,
// Map emits (word, "1") for every occurrence and Reduce returns the number
// of values as a decimal string. Only the timing differs, and only in a
// process whose current directory holds one of these marker files:
//
//   - straggler: the first Map call of the process sleeps before it
//     returns (15 s, or the Go duration written in the file, such as
//     "6s"). Later calls are fast, so a backup attempt of the same task on
//     another worker of the same job finishes quickly: the straggler's
//     result arrives late, after the backup has won.
//   - slow-reduce: the first Reduce call of the process sleeps (5 s, or the
//     duration in the file). That call comes after the reduce attempt has
//     fetched all its inputs, so this keeps the reduce phase open long
//     enough for a test to kill, cut off or freeze a worker in the middle
//     of it, while later reduce tasks still need every map output.
//
// Before sleeping it prints one line to standard error, which the worker
// sends to its log:
//
//	straggler: Map(input-3.txt) sleeping 15s (marker ./straggler)
//
// so a test can wait for a worker to be inside its slow call. The markers
// are read once, on the first call of each kind; each worker process of
// the LAN tests runs in a private directory, so a marker slows exactly the
// one host it was put on.
//
// Build it with
//
//	go build -buildmode=plugin -o straggler.so ./mrapps/straggler
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"mapreduce/mr"
)

// Marker files, in the current directory, and their default delays.
const (
	mapMarker    = "straggler"
	reduceMarker = "slow-reduce"

	defaultMapDelay    = 15 * time.Second
	defaultReduceDelay = 5 * time.Second
)

// mapCalled and reduceCalled become true at the first call of each kind.
var mapCalled, reduceCalled atomic.Bool

// Map emits (word, "1") for each word of contents, in order, after the
// straggler's delay if this is the process's first Map call.
func Map(filename string, contents string) []mr.KeyValue {
	if !mapCalled.Swap(true) {
		stall(mapMarker, defaultMapDelay, "Map("+filename+")")
	}
	words := strings.FieldsFunc(contents, notLetter)
	kva := make([]mr.KeyValue, len(words))
	for i, w := range words {
		kva[i] = mr.KeyValue{Key: w, Value: "1"}
	}
	return kva
}

// Reduce returns how many times key occurred: the number of its values,
// after the slow-reduce delay if this is the process's first Reduce call.
func Reduce(key string, values []string) string {
	if !reduceCalled.Swap(true) {
		stall(reduceMarker, defaultReduceDelay, "Reduce")
	}
	return strconv.Itoa(len(values))
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// stall sleeps if the marker file exists in the current directory: for
// the duration written in it, or def when it is empty. A marker that
// holds something else than a duration is a test bug worth stopping for.
func stall(marker string, def time.Duration, call string) {
	b, err := os.ReadFile(marker)
	if err != nil {
		return // no marker: not the slow host
	}
	d := def
	if s := strings.TrimSpace(string(b)); s != "" {
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			panic(fmt.Sprintf("straggler: marker ./%s holds %q, not a duration", marker, s))
		}
	}
	fmt.Fprintf(os.Stderr, "straggler: %s sleeping %s (marker ./%s)\n", call, d, marker)
	time.Sleep(d)
}
