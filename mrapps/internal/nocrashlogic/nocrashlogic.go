// Package nocrashlogic holds the Map and Reduce shared by the crash and
// nocrash applications, so the crash test can compare the output of a run
// with failing workers against a run without them.
package nocrashlogic

import (
	"slices"
	"strconv"
	"strings"

	"mapreduce/mr"
)

// Map emits four records that depend on the input's name and contents:
// ("a", filename), ("b", len(filename)), ("c", len(contents)) and
// ("d", "xyzzy").
func Map(filename string, contents string) []mr.KeyValue {
	return []mr.KeyValue{
		{Key: "a", Value: filename},
		{Key: "b", Value: strconv.Itoa(len(filename))},
		{Key: "c", Value: strconv.Itoa(len(contents))},
		{Key: "d", Value: "xyzzy"},
	}
}

// Reduce returns the values sorted and joined by single spaces. It does not
// modify values.
func Reduce(key string, values []string) string {
	return strings.Join(slices.Sorted(slices.Values(values)), " ")
}
