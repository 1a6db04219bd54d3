// The text generator: lines of Zipf-ranked made-up words with punctuation,
// numbers and the odd CRLF, the same bytes for the same seed.

package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// pcgStream is the second half of every text generator's PCG seed; the
// first half is the -seed flag plus the file's index.
const pcgStream = 0x5a49_5046 // "ZIPF"

// params describes one generated file.
type params struct {
	size      int64   // stop at the first line end at or past size bytes
	seed      uint64  // seeds the PCG source of words and punctuation
	zipf      float64 // Zipf exponent s of word ranks; must be > 1
	crlfEvery int     // every crlfEvery-th line ends in "\r\n"; 0 means none
}

// Per-mille odds of the decorations of one token, drawn from the bits of a
// single random number so that a word costs two draws: its rank and these.
const (
	permilleNumber = 20 // a number such as 1848 or 12 instead of a word
	permilleQuote  = 15 // "word"
	permilleApos   = 10 // word's
	permilleHyphen = 10 // word-word
	permilleComma  = 70 // word,
	permillePeriod = 40 // word. (the next word is capitalised)
)

// generate writes text to w until it has written at least p.size bytes and
// then ends at the next line end. The text is lines of 5 to 15 tokens
// separated by single spaces; tokens are words of v drawn by a Zipf
// distribution over their ranks, sometimes quoted, hyphenated, possessive or
// followed by punctuation, and sometimes numbers. It returns the number of
// bytes written. The same v and p give the same bytes on every machine.
func generate(w io.Writer, v *vocabulary, p params) (int64, error) {
	if p.zipf <= 1 {
		return 0, fmt.Errorf("zipf exponent %v must be greater than 1", p.zipf)
	}
	r := rand.New(rand.NewPCG(p.seed, pcgStream))
	g := textGen{r: r, v: v, zipf: rand.NewZipf(r, p.zipf, 1, uint64(v.len()-1)), capNext: true}
	var written int64
	var line []byte
	for lineNo := 1; written < p.size; lineNo++ {
		line = g.line(line[:0], p.crlfEvery > 0 && lineNo%p.crlfEvery == 0)
		n, err := w.Write(line)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// textGen holds the state of one file's text between lines.
type textGen struct {
	r       *rand.Rand
	v       *vocabulary
	zipf    *rand.Zipf
	capNext bool // the next word starts a sentence
}

// line appends one line, with its line end, to b.
func (g *textGen) line(b []byte, crlf bool) []byte {
	n := 5 + g.r.IntN(11)
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		b = g.token(b, i == n-1)
	}
	if crlf {
		return append(b, '\r', '\n')
	}
	return append(b, '\n')
}

// token appends one space-free token; last is true at the end of a line,
// where it may end a sentence but not take a comma.
func (g *textGen) token(b []byte, last bool) []byte {
	x := g.r.Uint64()
	kind, punct := x%1000, (x>>10)%1000
	switch {
	case kind < permilleNumber:
		b = appendNumber(b, x>>20)
	case kind < permilleNumber+permilleQuote:
		b = append(b, '"')
		b = g.word(b)
		b = append(b, '"')
	case kind < permilleNumber+permilleQuote+permilleApos:
		b = g.word(b)
		b = append(b, '\'', 's')
	case kind < permilleNumber+permilleQuote+permilleApos+permilleHyphen:
		b = g.word(b)
		b = append(b, '-')
		b = g.word(b)
	default:
		b = g.word(b)
	}
	switch {
	case last && punct < 500, punct < permillePeriod:
		g.capNext = true
		return append(b, '.')
	case !last && punct < permillePeriod+permilleComma:
		return append(b, ',')
	}
	return b
}

// word appends a Zipf-chosen word, capitalised if it starts a sentence.
func (g *textGen) word(b []byte) []byte {
	w := g.v.word(int(g.zipf.Uint64()))
	if g.capNext {
		g.capNext = false
		return appendCapitalised(b, w)
	}
	return append(b, w...)
}

// appendNumber appends a year between 1500 and 2029 or, one time in four, a
// number between 1 and 100, chosen by the bits of x.
func appendNumber(b []byte, x uint64) []byte {
	if x%4 == 0 {
		return strconv.AppendUint(b, 1+(x>>2)%100, 10)
	}
	return strconv.AppendUint(b, 1500+(x>>2)%530, 10)
}
