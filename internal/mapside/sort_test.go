// A benchmark of the key sort on a text's lines.

package mapside

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// textLines returns n distinct lines of 5 to 15 words of a vocabulary of
// 200,000 made-up words ranked by Zipf's law (exponent 1.1, as mrgen's
// text): lines that begin with the commonest words share their first 8
// bytes, and often their first 16, as uniq's keys do.
func textLines(n int) []string {
	r := rand.New(rand.NewPCG(7, 8))
	words := make([]string, 200_000)
	for i := range words {
		w := strconv.FormatUint(uint64(i)*2654435761%(1<<32)+1<<32, 36)
		words[i] = w[:2+i%6] + strconv.Itoa(i)
	}
	z := rand.NewZipf(r, 1.1, 1, uint64(len(words)-1))
	seen := make(map[string]bool, n)
	lines := make([]string, 0, n)
	var b strings.Builder
	for len(lines) < n {
		b.Reset()
		for k := range 5 + r.IntN(11) {
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[z.Uint64()])
		}
		if line := b.String(); !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	return lines
}

// BenchmarkKeySorter sorts a map buffer's worth of lines (200,000, about
// 16 MiB as uniq's map task holds them) in 10 partitions.
func BenchmarkKeySorter(b *testing.B) {
	seed := seedOf(1)
	gs := newGroups(&seed)
	for _, line := range textLines(200_000) {
		e, _, h := gs.lookup(line)
		gs.add(e, line, "", uint32(h>>32), 0)
	}
	var all []int32
	for i := range gs.entries {
		if gs.entries[i].klen != 0 {
			all = append(all, int32(i))
		}
	}
	ids := make([]int32, len(all))
	var s keySorter
	b.ReportAllocs()
	for b.Loop() {
		copy(ids, all)
		for p := range 10 {
			s.sort(ids[p*len(ids)/10:(p+1)*len(ids)/10], &gs)
		}
	}
}
