// The fused word count's merge: the tables' words by their first two bytes, written in order.

package main

import (
	"mapreduce/internal/atomicfile"

	"fmt"
	"slices"
	"strconv"
)

// writeCounts writes the sum of the tables to path as "word count" lines
// in bytewise order of words, through a temporary file renamed into place.
//
// The work is split by the words' first two bytes, which decide their
// place in the output: every table indexes its words by that prefix, the
// prefixes are cut into ranges of about equal numbers of words, and each
// range is merged, sorted (sort.go) and formatted on its own. The output
// is the ranges' text in order.
func writeCounts(path string, tables []*table, workers int) error {
	m := &merger{tables: tables, idx: make([]prefixIndex, len(tables))}
	parallel(len(tables), workers, func(_, i int) error {
		m.idx[i] = m.indexByPrefix(i)
		return nil
	})
	cuts := m.cutPrefixes(8 * workers)
	texts := make([][]byte, len(cuts)-1)
	parallel(len(texts), workers, func(_, i int) error {
		texts[i] = m.formatRange(cuts[i], cuts[i+1])
		return nil
	})
	return writeFileAtomic(path, texts)
}

// merger holds the tables and, once indexed, their entries.
type merger struct {
	tables []*table
	idx    []prefixIndex // idx[i] indexes tables[i]
}

// nPrefixes is the number of distinct two-byte prefixes of words: a
// word's prefix, e.hi>>48, orders words as their first two bytes do.
const nPrefixes = 1 << 16

// prefixIndex holds a table's entries in order of prefix.
type prefixIndex struct {
	entries []entry
	start   []int // entries[start[p]:start[p+1]] have prefix p
}

// indexByPrefix sorts the entries of table i by prefix (a counting sort).
func (m *merger) indexByPrefix(i int) prefixIndex {
	t := m.tables[i]
	entries := make([]entry, 0, t.used)
	for j := range t.slots {
		if s := &t.slots[j]; s.count != 0 {
			entries = append(entries, newEntry(t.key(s), s.count, uint64(i)<<refShift|uint64(j)))
		}
	}
	start := make([]int, nPrefixes+1)
	for _, e := range entries {
		start[e.prefix()+1]++
	}
	for p := 1; p <= nPrefixes; p++ {
		start[p] += start[p-1]
	}
	next := slices.Clone(start[:nPrefixes])
	sorted := make([]entry, len(entries))
	for _, e := range entries {
		sorted[next[e.prefix()]] = e
		next[e.prefix()]++
	}
	return prefixIndex{sorted, start}
}

// cutPrefixes cuts [0, nPrefixes) into at most parts ranges holding about
// as many entries each, and returns their bounds: cuts[0] = 0, ...,
// cuts[len-1] = nPrefixes.
func (m *merger) cutPrefixes(parts int) []int {
	total := 0
	for _, x := range m.idx {
		total += len(x.entries)
	}
	want := max(total/parts, 1)
	cuts, acc := []int{0}, 0
	for p := range nPrefixes {
		for _, x := range m.idx {
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
func (m *merger) formatRange(lo, hi int) []byte {
	n := 0
	for _, x := range m.idx {
		n += x.start[hi] - x.start[lo]
	}
	es := make([]entry, 0, n)
	for _, x := range m.idx {
		es = append(es, x.entries[x.start[lo]:x.start[hi]]...)
	}
	m.sortEntries(es, make([]entry, len(es)), 0)
	out := make([]byte, 0, 16*len(es))
	for i := 0; i < len(es); {
		e, n := &es[i], uint64(0)
		for ; i < len(es) && m.compare(*e, es[i]) == 0; i++ {
			n += es[i].count
		}
		out = m.appendWord(out, e)
		out = append(out, ' ')
		out = strconv.AppendUint(out, n, 10)
		out = append(out, '\n')
	}
	return out
}

// writeFileAtomic writes the concatenation of texts to path through a
// hidden temporary file in the same directory, renamed into place.
func writeFileAtomic(path string, texts [][]byte) error {
	f, err := atomicfile.CreateUnsynced(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	for _, t := range texts {
		if _, err := f.Write(t); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return f.Commit()
}
