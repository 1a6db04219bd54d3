// Package words finds the words of a text for the word-counting apps: a
// word is a maximal run of Unicode letters (unicode.IsLetter), so digits,
// punctuation and apostrophes separate words. It is strings.FieldsFunc
// with !unicode.IsLetter, without building a slice and with a fast path
// for ASCII.
package words

import (
	"unicode"
	"unicode/utf8"

	"mapreduce/mr"
)

// Each calls f with every word of s, in order. The words are substrings
// of s.
func Each(s string, f func(word string)) {
	start := -1 // start of the current word, or -1 between words
	for i := 0; i < len(s); {
		c, size := rune(s[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRuneInString(s[i:])
		}
		letter := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (c >= utf8.RuneSelf && unicode.IsLetter(c))
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			f(s[start:i])
			start = -1
		}
		i += size
	}
	if start >= 0 {
		f(s[start:])
	}
}

// EmitOnes calls emit(word, "1") for every word of s: the map side of a
// word count.
func EmitOnes(s string, emit func(key, value string)) {
	Each(s, func(w string) { emit(w, "1") })
}

// Ones returns a record (word, "1") for every word of s, in order.
func Ones(s string) []mr.KeyValue {
	var kva []mr.KeyValue
	EmitOnes(s, func(k, v string) { kva = append(kva, mr.KeyValue{Key: k, Value: v}) })
	return kva
}
