// Uniq counts the distinct lines of its inputs, as `sort | uniq -c` does:
// the shuffle-heavy job, where every line is a key and few repeat.
//
// A line is what lies between two '\n' (a trailing '\r' is kept, an empty
// line is skipped). Map emits (line, "1") for each, Combine sums one map
// task's counts for a line, and Reduce sums them all: one output line per
// distinct input line, "line count", in the engine's key order (byte
// order, as LC_ALL=C sort's).
//
// Build it with
//
//	go build -buildmode=plugin -o uniq.so ./mrapps/uniq
package main

import (
	"strconv"
	"strings"

	"mapreduce/mr"
)

// Map emits (line, "1") for each non-empty line of contents, in order.
func Map(filename string, contents string) []mr.KeyValue {
	var kvs []mr.KeyValue
	MapEmit(filename, contents, func(k, v string) { kvs = append(kvs, mr.KeyValue{Key: k, Value: v}) })
	return kvs
}

// MapEmit is Map handing each record to emit as it goes.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for len(contents) > 0 {
		line, rest, _ := strings.Cut(contents, "\n")
		if line != "" {
			emit(line, "1")
		}
		contents = rest
	}
}

// Combine sums a line's counts from one map task into a single count.
func Combine(key string, values []string) []string {
	return []string{strconv.Itoa(sum(key, values))}
}

// Reduce returns how many times the line occurs in all inputs.
func Reduce(key string, values []string) string {
	return strconv.Itoa(sum(key, values))
}

// sum adds values as decimal integers; every value came from Map or
// Combine, so one that does not parse is a bug worth stopping for.
func sum(key string, values []string) int {
	total := 0
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic("uniq: count " + strconv.Quote(v) + " of line " + strconv.Quote(key) + " is not an integer")
		}
		total += n
	}
	return total
}
