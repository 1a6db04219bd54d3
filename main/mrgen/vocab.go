// The vocabulary: made-up words from syllables, longer with rank, some
// with non-ASCII letters and some capitalised, depending only on the
// vocabulary's size.

package main

import (
	"math/bits"
	"math/rand/v2"
	"unicode"
	"unicode/utf8"
)

// vocabSeed seeds the vocabulary's generator. The vocabulary depends only
// on its size, so corpora made with different -seed values share words.
const vocabSeed = 0x6d72_67656e // "mrgen"

// Syllable parts of made-up words. Every rune in them is a letter, so a
// word is a single token for any splitter built on unicode.IsLetter.
var (
	onsets = []string{"", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n",
		"p", "r", "s", "t", "v", "w", "z", "br", "cl", "dr", "fl", "gr", "pl", "st",
		"tr", "sh", "ch", "th", "qu"}
	nuclei = []string{"a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "ie", "y"}
	codas  = []string{"", "", "", "n", "r", "s", "l", "m", "t", "nd", "rk", "st", "x"}

	// accented letters replace a vowel, foreign ones a consonant.
	accented = []string{"é", "è", "ü", "ö", "ø", "å", "à", "í", "ó"}
	foreign  = []string{"ñ", "ç", "ß"}

	cyrillic = []string{"ка", "ло", "ми", "ра", "та", "но", "ве", "де", "жи",
		"пу", "зо", "ры", "ша", "ст", "бо", "гу", "ль", "ён", "ць"}
	greek = []string{"κα", "λο", "μι", "ρα", "τα", "νο", "φι", "θε", "ψυ",
		"δω", "γη", "ση", "βι", "χα", "ξε", "πο"}
)

// vocabulary holds the words, rank 0 the most frequent, back to back in
// one array: a million words take about 14 MB and two allocations.
type vocabulary struct {
	text   []byte
	starts []int32 // word k is text[starts[k]:starts[k+1]]
}

// len returns the number of words.
func (v *vocabulary) len() int { return len(v.starts) - 1 }

// word returns the word of rank k.
func (v *vocabulary) word(k int) []byte { return v.text[v.starts[k]:v.starts[k+1]] }

// newVocabulary makes n distinct words, the same ones on every machine.
// Words get longer with rank, about 10% contain non-ASCII letters (accents,
// ñ, ç, ß, or whole Cyrillic and Greek words) and about 3% are capitalised
// variants of an earlier word, like proper nouns.
func newVocabulary(n int) *vocabulary {
	r := rand.New(rand.NewPCG(vocabSeed, uint64(n)))
	v := &vocabulary{starts: make([]int32, 1, n+1)}
	seen := make(map[string]struct{}, n) // only looked up, never ranged over
	for rank := range n {
		w := pick(r, v, rank, 0)
		for attempt := 1; contains(seen, w); attempt++ {
			w = pick(r, v, rank, attempt)
		}
		seen[w] = struct{}{}
		v.text = append(v.text, w...)
		v.starts = append(v.starts, int32(len(v.text)))
	}
	return v
}

func contains(set map[string]struct{}, w string) bool {
	_, ok := set[w]
	return ok
}

// pick proposes the word of rank; attempt counts the proposals already
// taken by earlier words.
func pick(r *rand.Rand, v *vocabulary, rank, attempt int) string {
	if rank > 0 && attempt == 0 && r.IntN(100) < 3 {
		return capitalise(string(v.word(r.IntN(rank))))
	}
	return candidate(r, rank, attempt)
}

// candidate makes a word for rank. Later ranks get longer words, and so do
// retries after collisions, so that every rank soon finds a free word.
func candidate(r *rand.Rand, rank, attempt int) string {
	nsyl := 1 + r.IntN(2) + min(bits.Len(uint(rank))/5, 2) + attempt/4
	switch p := r.IntN(100); {
	case p < 2:
		return syllables(r, cyrillic, nsyl+1)
	case p < 3:
		return syllables(r, greek, nsyl+1)
	case p < 10:
		return accent(r, latin(r, nsyl))
	default:
		return latin(r, nsyl)
	}
}

func latin(r *rand.Rand, nsyl int) string {
	var b []byte
	for range nsyl {
		b = append(b, onsets[r.IntN(len(onsets))]...)
		b = append(b, nuclei[r.IntN(len(nuclei))]...)
		if r.IntN(3) == 0 {
			b = append(b, codas[r.IntN(len(codas))]...)
		}
	}
	return string(b)
}

func syllables(r *rand.Rand, set []string, n int) string {
	var b []byte
	for range n {
		b = append(b, set[r.IntN(len(set))]...)
	}
	return string(b)
}

// accent replaces one ASCII vowel of w with an accented one, or one
// consonant after the first letter with ñ, ç or ß.
func accent(r *rand.Rand, w string) string {
	i := r.IntN(len(w))
	vowel := isVowel(w[i])
	if !vowel && i == 0 {
		i = len(w) - 1 // ß has no capital in common use: keep it off the front
		vowel = isVowel(w[i])
	}
	rep := foreign[r.IntN(len(foreign))]
	if vowel {
		rep = accented[r.IntN(len(accented))]
	}
	return w[:i] + rep + w[i+1:]
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// capitalise upper-cases the first rune of w.
func capitalise(w string) string {
	return string(appendCapitalised(nil, []byte(w)))
}

// appendCapitalised appends w to b with its first rune upper-cased.
func appendCapitalised(b, w []byte) []byte {
	c, size := utf8.DecodeRune(w)
	return append(utf8.AppendRune(b, unicode.ToUpper(c)), w[size:]...)
}
