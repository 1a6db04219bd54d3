// stats.go: paired, alternating runs and what is printed of them: the
// minimum, median and maximum of a series and of the pairs' ratios.
package main

import (
	"fmt"
	"slices"
	"time"
)

// alternate runs a and b in turn, a first, rounds times each, after
// warmup unrecorded runs of each (also alternating), and returns the
// recorded samples in order. A nil b makes a plain series of a. It stops
// at the first error.
func alternate(rounds, warmup int, a, b func() (sample, error)) (as, bs []sample, err error) {
	for i := 0; i < warmup+rounds; i++ {
		for _, side := range []struct {
			run func() (sample, error)
			out *[]sample
		}{{a, &as}, {b, &bs}} {
			if side.run == nil {
				continue
			}
			s, err := side.run()
			if err != nil {
				return nil, nil, err
			}
			if i >= warmup {
				*side.out = append(*side.out, s)
			}
		}
	}
	return as, bs, nil
}

// spread is a series' minimum, median and maximum.
type spread struct{ min, median, max float64 }

// spreadOf returns the spread of xs (the median of an even count is the
// mean of the middle two); the zero spread if xs is empty.
func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return spread{min: s[0], median: med, max: s[n-1]}
}

// String prints a spread as "median (min–max)" with 3 decimals.
func (s spread) String() string {
	return fmt.Sprintf("%.3f (%.3f–%.3f)", s.median, s.min, s.max)
}

// seconds returns the wall times of samples in seconds.
func seconds(ss []sample) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = s.wall.Seconds()
	}
	return xs
}

// pairwise returns f(a[i], b[i]) for each pair; a and b have one length.
func pairwise(a, b []sample, f func(a, b time.Duration) float64) []float64 {
	xs := make([]float64, min(len(a), len(b)))
	for i := range xs {
		xs[i] = f(a[i].wall, b[i].wall)
	}
	return xs
}

// ratio is a's wall time over b's.
func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

// workerRSS returns the smallest and the largest peak RSS of any worker
// over samples, in MiB; 0, 0 when there is none.
func workerRSS(ss []sample) (lo, hi int64) {
	first := true
	for _, s := range ss {
		for _, k := range s.workers {
			if first || k < lo {
				lo = k
			}
			if first || k > hi {
				hi = k
			}
			first = false
		}
	}
	return lo >> 10, hi >> 10
}
