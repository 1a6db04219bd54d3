// Gated is word count whose calls a test can see and hold, for the
// journal's scenarios in e2e/ (a coordinator killed in the map
// phase, the reduce phase, an upload, the final merge).
//
// Its output is exactly wc's. Every Map call leaves a marker in the
// marker directory ($MR_MARKER_DIR: see mrapps/internal/markers) named
// map-<input's base name>-<process id>-<call>, so a test can count how
// often each input was mapped, however many processes ran. While the
// marker hold-<input's base name> exists, Map of that input waits for it
// to go. The marker hold-reduce, if it exists when a process first calls
// Reduce, names a key: Reduce of that key leaves the marker
// reduce-held-<process id>-<call>, waits while hold-reduce exists, then
// leaves reduce-released-<process id>-<call>. A
// test holds one input, or one key, lets the rest commit, and kills the
// coordinator with work in flight.
//
// Build it with
//
//	go build -buildmode=plugin -o gated.so ./mrapps/gated
package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/markers"
	"mapreduce/mrapps/internal/words"
)

var calls atomic.Int64

// Map marks the call, waits while its input is held, then emits
// (word, "1") for each word.
func Map(filename string, contents string) []mr.KeyValue {
	base := filepath.Base(filename)
	mark("map-" + base)
	hold("hold-" + base)
	return words.Ones(contents)
}

// heldKey is the key hold-reduce named when this process first reduced.
var heldKey = sync.OnceValue(func() string {
	b, _ := os.ReadFile(filepath.Join(markers.Dir(), "hold-reduce"))
	return strings.TrimSpace(string(b))
})

// Reduce counts the key's values; for the held key it marks the call,
// waits while hold-reduce exists, and marks its release
// (reduce-released-<process id>-<call>): the attempt then reduces the
// rest of its keys and uploads.
func Reduce(key string, values []string) string {
	if k := heldKey(); k != "" && key == k {
		mark("reduce-held")
		hold("hold-reduce")
		mark("reduce-released")
	}
	return strconv.Itoa(len(values))
}

// mark leaves a marker for one call.
func mark(prefix string) {
	markers.Create(prefix + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(calls.Add(1), 10))
}

// hold waits while the marker name exists.
func hold(name string) {
	for {
		if _, err := os.Stat(filepath.Join(markers.Dir(), name)); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
