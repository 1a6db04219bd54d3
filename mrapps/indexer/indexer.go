// Indexer builds an inverted index: for every word, the documents that
// contain it.
//
// A word is a maximal run of Unicode letters (unicode.IsLetter), as in wc.
// Map emits (word, filename) once per distinct word of its input; Reduce
// returns "<n> <doc1>,<doc2>,..." with the n distinct document names sorted.
// Reduce deduplicates too, so a document split into several map tasks is
// still listed once.
//
// Build it with
//
//	go build -buildmode=plugin -o indexer.so ./mrapps/indexer
package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"mapreduce/mr"
)

// Map emits (word, filename) once for each distinct word of contents, in
// order of first occurrence.
func Map(filename string, contents string) []mr.KeyValue {
	seen := make(map[string]bool)
	var kva []mr.KeyValue
	for _, w := range strings.FieldsFunc(contents, notLetter) {
		if !seen[w] {
			seen[w] = true
			kva = append(kva, mr.KeyValue{Key: w, Value: filename})
		}
	}
	return kva
}

// Reduce returns the number of distinct documents containing key and their
// sorted names, comma-separated.
func Reduce(key string, values []string) string {
	docs := slices.Compact(slices.Sorted(slices.Values(values)))
	return fmt.Sprintf("%d %s", len(docs), strings.Join(docs, ","))
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }
