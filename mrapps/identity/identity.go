// Identity passes its input through the engine unchanged but for order:
// every line is a key with an empty value, and every key is written once
// per time it occurs, as a streaming job whose mapper and reducer are
// `cat` does. It measures what the engine itself costs (split, sort,
// shuffle, merge, output) with no work of the app's, and is the plugin
// twin of that streaming job in `scripts/bench.sh -stream`.
//
// Build it with
//
//	go build -buildmode=plugin -o identity.so ./mrapps/identity
package main

import (
	"iter"
	"strings"

	"mapreduce/mr"
)

// Map emits (line, "") for each line of contents, in order.
func Map(filename string, contents string) []mr.KeyValue {
	var kvs []mr.KeyValue
	MapEmit(filename, contents, func(k, v string) { kvs = append(kvs, mr.KeyValue{Key: k, Value: v}) })
	return kvs
}

// MapEmit is Map handing each record to emit as it goes. A line is what
// lies between two '\n'; a last line without one counts too.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for len(contents) > 0 {
		line, rest, _ := strings.Cut(contents, "\n")
		emit(line, "")
		contents = rest
	}
}

// ReduceEmit writes the key once per value: each line as often as it
// occurred.
func ReduceEmit(key string, values iter.Seq[string], emit func(value string)) {
	for v := range values {
		emit(v)
	}
}
