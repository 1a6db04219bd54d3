package main

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// writeCounts writes the sum of the tables to path as "word count" lines
// in bytewise order of words, through a temporary file renamed into place.
//
// The work is split by the words' first two bytes, which decide their
// place in the output: every table indexes its words by that prefix, the
// prefixes are cut into ranges of about equal numbers of words, and each
// range is merged, sorted and formatted on its own. The output is the
// ranges' text in order.
func writeCounts(path string, tables []*table, workers int) error {
	idx := make([]prefixIndex, len(tables))
	parallel(len(tables), workers, func(_, i int) error {
		idx[i] = indexByPrefix(tables[i])
		return nil
	})
	cuts := cutPrefixes(idx, 8*workers)
	texts := make([][]byte, len(cuts)-1)
	parallel(len(texts), workers, func(_, i int) error {
		texts[i] = formatRange(idx, cuts[i], cuts[i+1])
		return nil
	})
	return writeFileAtomic(path, texts)
}

// nPrefixes is the number of distinct two-byte prefixes.
const nPrefixes = 1 << 16

// prefix returns a number that orders words as their first two bytes do;
// a word of one byte sorts before every longer word it starts.
func prefix(w []byte) int {
	p := int(w[0]) << 8
	if len(w) > 1 {
		p |= int(w[1])
	}
	return p
}

// entry is a word of a table and its count there. The word points into
// the table; head is its first eight bytes, big-endian and padded with
// zeros, which decide most comparisons of words without reading them.
type entry struct {
	head  uint64
	word  []byte
	count uint64
}

// compareEntries orders entries as bytes.Compare orders their words. No
// word holds a zero byte, so words with equal heads are equal if one is
// shorter than eight bytes.
func compareEntries(a, b entry) int {
	if a.head != b.head {
		return cmp.Compare(a.head, b.head)
	}
	if len(a.word) < 8 {
		return 0
	}
	return bytes.Compare(a.word[8:], b.word[8:])
}

// head returns the first eight bytes of w as a big-endian number, padded
// with zeros.
func head(w []byte) uint64 {
	if len(w) >= 8 {
		return binary.BigEndian.Uint64(w)
	}
	var b [8]byte
	copy(b[:], w)
	return binary.BigEndian.Uint64(b[:])
}

// prefixIndex holds a table's entries in order of prefix.
type prefixIndex struct {
	entries []entry
	start   []int // entries[start[p]:start[p+1]] have prefix p
}

// indexByPrefix sorts the entries of t by prefix (a counting sort).
func indexByPrefix(t *table) prefixIndex {
	start := make([]int, nPrefixes+1)
	for i := range t.slots {
		if s := &t.slots[i]; s.count != 0 {
			start[prefix(t.key(s))+1]++
		}
	}
	for p := 1; p <= nPrefixes; p++ {
		start[p] += start[p-1]
	}
	next := slices.Clone(start[:nPrefixes])
	entries := make([]entry, t.used)
	for i := range t.slots {
		if s := &t.slots[i]; s.count != 0 {
			w := t.key(s)
			entries[next[prefix(w)]] = entry{head(w), w, s.count}
			next[prefix(w)]++
		}
	}
	return prefixIndex{entries, start}
}

// cutPrefixes cuts [0, nPrefixes) into at most parts ranges holding about
// as many entries each, and returns their bounds: cuts[0] = 0, ...,
// cuts[len-1] = nPrefixes.
func cutPrefixes(idx []prefixIndex, parts int) []int {
	total := 0
	for _, x := range idx {
		total += len(x.entries)
	}
	want := max(total/parts, 1)
	cuts, acc := []int{0}, 0
	for p := range nPrefixes {
		for _, x := range idx {
			acc += x.start[p+1] - x.start[p]
		}
		if acc >= want && p+1 < nPrefixes {
			cuts, acc = append(cuts, p+1), 0
		}
	}
	return append(cuts, nPrefixes)
}

// formatRange returns the output lines of the words whose prefix is in
// [lo, hi), summed over every table.
func formatRange(idx []prefixIndex, lo, hi int) []byte {
	var es []entry
	for _, x := range idx {
		es = append(es, x.entries[x.start[lo]:x.start[hi]]...)
	}
	slices.SortFunc(es, compareEntries)
	var out []byte
	for i := 0; i < len(es); {
		w, n := es[i].word, uint64(0)
		for ; i < len(es) && bytes.Equal(es[i].word, w); i++ {
			n += es[i].count
		}
		out = append(out, w...)
		out = append(out, ' ')
		out = strconv.AppendUint(out, n, 10)
		out = append(out, '\n')
	}
	return out
}

// writeFileAtomic writes the concatenation of texts to path through a
// hidden temporary file in the same directory, renamed into place.
func writeFileAtomic(path string, texts [][]byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	for _, t := range texts {
		if _, err := f.Write(t); err != nil {
			return err
		}
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
