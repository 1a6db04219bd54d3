// Nocrash is the well-behaved twin of crash: the same Map and Reduce with
// no failures, whose output is the reference the crash test compares with.
//
// Map emits ("a", filename), ("b", len(filename)), ("c", len(contents)) and
// ("d", "xyzzy"); Reduce returns a key's values sorted and joined by single
// spaces. The output is deterministic.
package main

import (
	"mapreduce/mr"
	"mapreduce/mrapps/internal/nocrashlogic"
)

// Map emits four records describing the input; see the package comment.
func Map(filename string, contents string) []mr.KeyValue {
	return nocrashlogic.Map(filename, contents)
}

// Reduce returns the sorted values joined by spaces.
func Reduce(key string, values []string) string {
	return nocrashlogic.Reduce(key, values)
}
