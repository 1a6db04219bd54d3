// Package words finds the words of a text for the word-counting apps: a
// word is a maximal run of Unicode letters (unicode.IsLetter), so digits,
// punctuation and apostrophes separate words. It is strings.FieldsFunc
// with !unicode.IsLetter, without building a slice and with a fast path
// for ASCII (a table lookup per byte, no decoding) and a table for the
// runes UTF-8 encodes in two bytes.
package words

import (
	"unicode"
	"unicode/utf8"

	"mapreduce/mr"
)

// each calls emit(word, value) for every word of s, in order. The words
// are substrings of s. (emit is the engine's own, for a word count: a
// closure between them would cost a call per word.)
func each(s string, emit func(key, value string), value string) {
	for i := 0; i < len(s); {
		for i < len(s) && s[i] < utf8.RuneSelf && !isASCIILetter[s[i]] { // between words
			i++
		}
		start := i
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				if !isASCIILetter[c] {
					break
				}
				i++
				continue
			}
			if c := s[i]; c >= 0xc2 && c < 0xe0 && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
				// A two-byte rune (Latin, Greek, Cyrillic, Hebrew,
				// Arabic): a table lookup, not unicode.IsLetter.
				if !twoByteLetter[rune(c&0x1f)<<6|rune(s[i+1]&0x3f)] {
					break
				}
				i += 2
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) {
				break
			}
			i += size
		}
		if i > start {
			emit(s[start:i], value)
		} else if i < len(s) { // a character beyond ASCII that is no letter
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
}

// isASCIILetter tells which bytes are ASCII letters.
var isASCIILetter = func() (t [utf8.RuneSelf]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	return t
}()

// twoByteLetter tells which runes below 0x800, those UTF-8 encodes in two
// bytes, are letters.
var twoByteLetter = func() (t [0x800]bool) {
	for r := range t {
		t[r] = unicode.IsLetter(rune(r))
	}
	return t
}()

// EmitOnes calls emit(word, "1") for every word of s: the map side of a
// word count.
func EmitOnes(s string, emit func(key, value string)) {
	each(s, emit, "1")
}

// Ones returns a record (word, "1") for every word of s, in order.
func Ones(s string) []mr.KeyValue {
	var kva []mr.KeyValue
	EmitOnes(s, func(k, v string) { kva = append(kva, mr.KeyValue{Key: k, Value: v}) })
	return kva
}
