// Wc is the word-count application, the "hello world" of MapReduce.
//
// A word is a maximal run of Unicode letters (unicode.IsLetter), so digits,
// punctuation and apostrophes separate words and case is significant. Map
// emits (word, "1") for every occurrence, Combine pre-aggregates one map
// task's values for a key into their sum, and Reduce sums the (possibly
// combined) counts, so the output is the same with or without the combiner:
// one line per word with its number of occurrences in all inputs.
//
// Build it with
//
//	go build -buildmode=plugin -o wc.so ./mrapps/wc
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

// MapEmit is Map handing each record to emit as it goes; the engine
// prefers it, so that a map task need not hold all its records at once.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	words.EmitOnes(contents, emit)
}

// Combine sums a key's counts from one map task into a single count.
func Combine(key string, values []string) []string {
	return []string{strconv.Itoa(sum(key, values))}
}

// Reduce returns the total count of key: the sum of its values, each of
// which is "1" from Map or a partial sum from Combine.
func Reduce(key string, values []string) string {
	return strconv.Itoa(sum(key, values))
}

// ReduceSeq is Reduce reading the counts as the engine streams them, so
// a reducer holds one value at a time.
func ReduceSeq(key string, values iter.Seq[string]) string {
	total := 0
	for v := range values {
		total += count(key, v)
	}
	return strconv.Itoa(total)
}

// sum adds values as decimal integers.
func sum(key string, values []string) int {
	total := 0
	for _, v := range values {
		total += count(key, v)
	}
	return total
}

// count parses one count. Every value was produced by Map or Combine, so
// one that does not parse is a bug worth stopping for.
func count(key, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		panic("wc: count " + strconv.Quote(v) + " of key " + strconv.Quote(key) + " is not an integer")
	}
	return n
}
