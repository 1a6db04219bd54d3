// sample.go: a total-order job's sample of its keys, taken before the
// map phase as Hadoop's InputSampler and TeraSort take theirs on the
// client: the app's Map runs over the first sampleBytes of up to
// sampleSplits evenly spaced map tasks, every stride-th key is kept
// (about sampleKeys in all), and the keys at every R-th of the sorted
// sample are the cut points.

package coordinator

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/executor"
)

const (
	sampleSplits = 10      // map tasks sampled at most
	sampleBytes  = 1 << 20 // of each, whole lines
	sampleKeys   = 100_000 // kept at most, about
)

// takeSample samples the keys of the job's map tasks and returns the
// cut points of nReduce ranges, and what the sample cost.
func takeSample(app *mr.App, params map[string]string, tasks [][]protocol.Split, nReduce int) ([]string, *protocol.TotalOrder, error) {
	start := time.Now()
	picked := sampleTasks(len(tasks), sampleSplits)
	s := &keySample{limit: sampleKeys / max(len(picked), 1)}
	st := &protocol.TotalOrder{Splits: len(picked), Cuts: nReduce - 1}
	for _, t := range picked {
		s.startSplit()
		budget := int64(sampleBytes)
		for _, p := range tasks[t] {
			if budget <= 0 {
				break
			}
			text, err := readHead(p, budget)
			if err != nil {
				return nil, nil, err
			}
			budget -= int64(len(text))
			st.Bytes += int64(len(text))
			if err := executor.MapKeys(app, params, p.File, text, s.add); err != nil {
				return nil, nil, fmt.Errorf("mr: sampling the keys for -total-order: %w", err)
			}
		}
	}
	st.Keys = len(s.keys)
	st.SampleMS = time.Since(start).Milliseconds()
	return cutPoints(s.keys, nReduce), st, nil
}

// sampleTasks picks n of m tasks, evenly spaced, the first included.
func sampleTasks(m, n int) []int {
	n = min(n, m)
	picked := make([]int, n)
	for i := range picked {
		picked[i] = i * m / n
	}
	return picked
}

// keySample keeps about limit keys of each split: every stride-th, the
// stride doubling (and every other key kept so far dropped) whenever the
// split's keys reach twice the limit.
type keySample struct {
	keys   []string
	limit  int
	from   int // where this split's keys start in keys
	stride int
	seen   int
}

func (s *keySample) startSplit() { s.from, s.stride, s.seen = len(s.keys), 1, 0 }

func (s *keySample) add(key string) {
	s.seen++
	if s.seen%s.stride != 0 {
		return
	}
	s.keys = append(s.keys, strings.Clone(key))
	if len(s.keys)-s.from >= 2*max(s.limit, 1) {
		mine := s.keys[s.from:]
		for i := 0; 2*i+1 < len(mine); i++ {
			mine[i] = mine[2*i+1]
		}
		s.keys = s.keys[:s.from+len(mine)/2]
		s.stride *= 2
	}
}

// cutPoints sorts the sample and returns the nReduce-1 keys that cut it
// into nReduce parts of about equal counts, each at most
// protocol.CutKeyLimit bytes (a longer one is cut short, which still
// splits in order). An empty sample gives empty cut points: every key
// goes to the last reduce task.
func cutPoints(keys []string, nReduce int) []string {
	slices.Sort(keys)
	cuts := make([]string, 0, max(nReduce-1, 0))
	limit := protocol.CutKeyLimit(nReduce)
	for i := 1; i < nReduce; i++ {
		var c string
		if len(keys) > 0 {
			c = keys[i*len(keys)/nReduce]
		}
		if len(c) > limit {
			c = c[:limit]
		}
		cuts = append(cuts, c)
	}
	return cuts
}

// readHead reads up to n bytes of a piece of an input, cut after its last
// newline (all of it if it has none and is shorter than n).
func readHead(p protocol.Split, n int64) (string, error) {
	f, err := os.Open(p.File)
	if err != nil {
		return "", fmt.Errorf("mr: sampling the keys: %w", err)
	}
	defer f.Close()
	b := make([]byte, min(n, p.Length))
	if _, err := io.ReadFull(io.NewSectionReader(f, p.Offset, int64(len(b))), b); err != nil {
		return "", fmt.Errorf("mr: sampling the keys of %s: %w", p.File, err)
	}
	if int64(len(b)) < p.Length {
		if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
			b = b[:i+1]
		}
	}
	return string(b), nil
}
