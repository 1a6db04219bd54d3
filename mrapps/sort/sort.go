// Sort is the paper's sort (OSDI'04 §5.3) and Hadoop's TeraSort: its
// input is 100-byte records as lines (bin/mrgen -records N writes them),
// each a 10-byte key, a space and the rest; its output is the records in
// key order, mr-sort-all byte for byte what LC_ALL=C sort writes. Run it
// in total order, so that each mr-out-Y is one range of keys and
// mr-sort-all is their concatenation, not a merge:
//
//	mrcoordinator -total-order -app bin/sort.so -nreduce 8 in/*.txt
//	mrworker bin/sort.so
//
// Map keys each record by its first 10 bytes, the rest its value, so the
// output line "key value" is the record again. Records of one key (mrgen
// writes none) come out in the order of the rest of their line, as sort
// orders them.
//
// Build it with
//
//	go build -buildmode=plugin -o sort.so ./mrapps/sort
package main

import (
	"iter"
	"slices"
	"strconv"
	"strings"

	"mapreduce/mr"
)

// keySize is the bytes of a record's key.
const keySize = 10

// Map returns the records of contents, keyed.
func Map(filename string, contents string) []mr.KeyValue {
	kvs := make([]mr.KeyValue, 0, len(contents)/100)
	MapEmit(filename, contents, func(k, v string) { kvs = append(kvs, mr.KeyValue{Key: k, Value: v}) })
	return kvs
}

// MapEmit emits each record of contents as (its key, the rest of its
// line); a line that is not a record panics, naming it.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for n := 1; len(contents) > 0; n++ {
		line, rest, _ := strings.Cut(contents, "\n")
		contents = rest
		if len(line) <= keySize || line[keySize] != ' ' {
			panic("sort: " + filename + ": line " + strconv.Itoa(n) + " of this split is not a record (a 10-byte key, a space, the rest)")
		}
		emit(line[:keySize], line[keySize+1:])
	}
}

// ReduceEmit writes the key's records back, one output line each, in
// the order of the rest of their line: the output holds every record as
// it was, in LC_ALL=C sort's order.
func ReduceEmit(key string, values iter.Seq[string], emit func(value string)) {
	var rest []string
	for v := range values {
		rest = append(rest, v)
	}
	if len(rest) > 1 {
		slices.Sort(rest)
	}
	for _, v := range rest {
		emit(v)
	}
}
