// mrapps/docfreq/docfreq.go: for every word, how many input files hold it.
package main

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"mapreduce/mr"
)

var emptyFiles = mr.Counter("empty files") // see Counters below

// Map is called once per split: a whole small file, or a part of a file
// larger than the split size. It emits (word, file name) once per word
// the split holds; a word of a large file may come from several splits.
func Map(filename, contents string) []mr.KeyValue {
	if contents == "" {
		emptyFiles.Add(1)
	}
	words := strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
	slices.Sort(words)
	words = slices.Compact(words)
	kvs := make([]mr.KeyValue, len(words))
	for i, w := range words {
		kvs[i] = mr.KeyValue{Key: w, Value: filename}
	}
	return kvs
}

// Reduce is called once per distinct key with all of its values: here
// the names of the files the word is in, a name once per split. It
// counts the distinct names, not the values.
func Reduce(key string, values []string) string {
	files := slices.Compact(slices.Sorted(slices.Values(values)))
	return strconv.Itoa(len(files))
}
