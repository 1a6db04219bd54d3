// The fused word count's scan: words (runs of Unicode letters) counted into a table.

package main

import (
	"unicode"
	"unicode/utf8"
)

// asciiLetter[c] reports whether the byte c is an ASCII letter.
var asciiLetter = func() (a [256]bool) {
	for c := 'A'; c <= 'z'; c++ {
		a[c] = unicode.IsLetter(c)
	}
	return a
}()

// twoByteLetter[r] reports whether the rune r < 0x800, which UTF-8
// encodes in at most two bytes (Latin, Greek, Cyrillic, Hebrew, Arabic),
// is a letter.
var twoByteLetter = func() (a [0x800]bool) {
	for r := range a {
		a[r] = unicode.IsLetter(rune(r))
	}
	return a
}()

// countWords adds every word of b to t: a word is a maximal run of
// Unicode letters (unicode.IsLetter), as in mrapps/wc. ASCII bytes are
// classified by a table in a tight loop; other runes are decoded, and
// invalid UTF-8 decodes to utf8.RuneError, which is no letter.
func countWords(b []byte, t *table) {
	var words batch
	for i := 0; i < len(b); {
		start := i
		for i < len(b) && asciiLetter[b[i]] {
			i++
		}
		if i < len(b) && b[i] >= utf8.RuneSelf {
			i = wordEnd(b, i)
		}
		if i > start {
			w := b[start:i]
			if len(t.slots) < t.batchFrom {
				t.add(w, hashWord(w))
			} else if words.push(w); words.n == batchLen {
				t.addBatch(&words)
			}
		}
		// b[i] starts a rune that is no letter: step over it.
		if i < len(b) && b[i] < utf8.RuneSelf {
			i++
		} else if i < len(b) {
			_, size := decodeLetter(b, i)
			i += size
		}
	}
	t.addBatch(&words)
}

// wordEnd returns the end of the run of letters that starts at b[i].
func wordEnd(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if !asciiLetter[c] {
				return i
			}
			i++
			continue
		}
		letter, size := decodeLetter(b, i)
		if !letter {
			return i
		}
		i += size
	}
	return i
}

// decodeLetter decodes the rune at b[i], a byte at or above
// utf8.RuneSelf, and returns whether it is a letter and its size. A
// well-formed two-byte rune is looked up in a table.
func decodeLetter(b []byte, i int) (letter bool, size int) {
	if c := b[i]; c >= 0xc2 && c < 0xe0 && i+1 < len(b) && b[i+1]&0xc0 == 0x80 {
		return twoByteLetter[rune(c&0x1f)<<6|rune(b[i+1]&0x3f)], 2
	}
	r, size := utf8.DecodeRune(b[i:])
	return unicode.IsLetter(r), size
}

// isBoundary reports whether a chunk of text may be cut before c: an
// ASCII byte that is no letter is never part of a word, and UTF-8
// decoding never reads an ASCII byte as part of another rune, so the words
// on either side of it are the same whether the text is cut there or not.
func isBoundary(c byte) bool {
	return c < utf8.RuneSelf && !asciiLetter[c]
}
