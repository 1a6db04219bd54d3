package mr

import (
	"fmt"
	"slices"
	"strings"
)

// The map side's data path: Map's records are grouped by key with one
// hash lookup each (not sorted: most keys repeat, so sorting the records
// costs n log n string comparisons where grouping costs n lookups and a
// sort of the distinct keys). Each key's values keep Map's order, so the
// result equals a stable sort by key.

// group is one distinct key and its values in emission order.
type group struct {
	key    string
	values []string
}

// groupByPartition groups records by key and deals the groups out to
// nReduce partitions by ihash(key) % nReduce, each sorted by key.
func groupByPartition(kvs []KeyValue, nReduce int) [][]group {
	ids := make(map[string]int32, len(kvs)/8+16)
	gid := make([]int32, len(kvs))
	var groups []group
	var counts []int32
	for i, kv := range kvs {
		id, ok := ids[kv.Key]
		if !ok {
			id = int32(len(groups))
			ids[kv.Key] = id
			groups = append(groups, group{key: kv.Key})
			counts = append(counts, 0)
		}
		gid[i] = id
		counts[id]++
	}
	// Lay every group's values out contiguously, in order, in one array.
	vals := make([]string, len(kvs))
	next := make([]int32, len(groups))
	off := int32(0)
	for id, n := range counts {
		groups[id].values = vals[off : off : off+n]
		next[id] = off
		off += n
	}
	for i, kv := range kvs {
		vals[next[gid[i]]] = kv.Value
		next[gid[i]]++
	}
	parts := make([][]group, nReduce)
	for id := range groups {
		g := &groups[id]
		g.values = g.values[:counts[id]]
		r := ihash(g.key) % nReduce
		parts[r] = append(parts[r], *g)
	}
	for _, p := range parts {
		slices.SortFunc(p, func(a, b group) int { return strings.Compare(a.key, b.key) })
	}
	return parts
}

// writeGroups writes a sorted partition, passing each key's values
// through combine when the app has one.
func writeGroups(part []group, combine func(string, []string) []string) func(*runWriter) error {
	return func(w *runWriter) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &appError{fmt.Sprintf("Combine panicked: %v", p)}
			}
		}()
		for _, g := range part {
			values := g.values
			if combine != nil {
				values = combine(g.key, values)
			}
			for _, v := range values {
				if err := w.Write(g.key, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
}
