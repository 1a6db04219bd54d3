// Wcraw is word count without a combiner: every occurrence of every word
// crosses the shuffle as its own record. It is the shuffle-heavy case of
// scripts/bench.sh; its output equals wc's.
//
// A word is a maximal run of Unicode letters. Map emits (word, "1") for
// every occurrence; Reduce counts a word's values.
package main

import (
	"iter"
	"strconv"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/words"
)

// Map emits (word, "1") for each word of contents, in order.
func Map(filename string, contents string) []mr.KeyValue {
	return words.Ones(contents)
}

// MapEmit is Map handing each record to emit as it goes.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	words.EmitOnes(contents, emit)
}

// Reduce returns the number of occurrences of key.
func Reduce(key string, values []string) string {
	return strconv.Itoa(len(values))
}

// ReduceSeq counts key's occurrences as the engine streams them, holding
// one at a time: the top word of a large corpus has millions.
func ReduceSeq(key string, values iter.Seq[string]) string {
	n := 0
	for range values {
		n++
	}
	return strconv.Itoa(n)
}
