// Counters is word count that counts with user counters, for the
// counters and status page cases of test-mr.sh.
//
// Its output is wc's. Map counts "lines" and "words" with mr.Counter,
// Reduce counts "keys"; as every input is counted once by the job however
// often its task runs, the job's totals must equal those of the inputs.
// To make tasks run more than once, it reads marker files in
// $MR_MARKER_DIR (default "."), shared by the job's workers:
//
//   - fail-map: the job's first Map call panics, after counting: the
//     attempt fails and its counts must not count.
//   - slow-map: the job's second Map call (not counting a failed one)
//     sleeps for the duration in the file (a Go duration such as "3s")
//     after counting: with a short
//     -task-timeout a backup wins, and the straggler's late report must
//     not count.
//   - gate: a Map call whose input's name ends with the file's text
//     (such as "input-8.txt") waits until a file named open appears,
//     so a test can look at a job held in a known state.
//
// Build it with
//
//	go build -buildmode=plugin -o counters.so ./mrapps/counters
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/markers"
)

var lines, words, keys = mr.Counter("lines"), mr.Counter("words"), mr.Counter("keys")

// Map emits (word, "1") for each word, counting lines and words.
func Map(filename string, contents string) []mr.KeyValue {
	lines.Add(int64(strings.Count(contents, "\n")))
	if contents != "" && !strings.HasSuffix(contents, "\n") {
		lines.Add(1)
	}
	ws := strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
	words.Add(int64(len(ws)))
	misbehave(filename)
	kvs := make([]mr.KeyValue, len(ws))
	for i, w := range ws {
		kvs[i] = mr.KeyValue{Key: w, Value: "1"}
	}
	return kvs
}

// Combine sums a key's counts.
func Combine(key string, values []string) []string {
	return []string{strconv.Itoa(sum(values))}
}

// Reduce sums a key's counts, counting keys.
func Reduce(key string, values []string) string {
	keys.Add(1)
	return strconv.Itoa(sum(values))
}

func sum(values []string) int {
	n := 0
	for _, v := range values {
		k, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("counters: count %q is not an integer", v))
		}
		n += k
	}
	return n
}

// misbehave fails, stalls or waits as the marker files say.
func misbehave(filename string) {
	if exists("fail-map") && claim("failed-once") {
		panic("counters: the job's first Map call fails (marker fail-map)")
	}
	// The first call to get here claims map-call-1, the second map-call-2.
	if d, ok := readDuration("slow-map"); ok && !claim("map-call-1") && claim("map-call-2") {
		time.Sleep(d)
	}
	if suffix, err := os.ReadFile(filepath.Join(markers.Dir(), "gate")); err == nil &&
		strings.HasSuffix(filename, strings.TrimSpace(string(suffix))) {
		for !exists("open") {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func exists(name string) bool {
	_, err := os.Stat(filepath.Join(markers.Dir(), name))
	return err == nil
}

// claim creates the marker name if nobody has: true for exactly one call
// in the whole job.
func claim(name string) bool {
	f, err := os.OpenFile(filepath.Join(markers.Dir(), name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false
	}
	if err != nil {
		panic(fmt.Sprintf("counters: %v", err))
	}
	f.Close()
	return true
}

func readDuration(name string) (time.Duration, bool) {
	b, err := os.ReadFile(filepath.Join(markers.Dir(), name))
	if err != nil {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		panic(fmt.Sprintf("counters: marker %s holds %q, not a duration", name, b))
	}
	return d, true
}
