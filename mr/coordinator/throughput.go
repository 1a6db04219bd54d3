// throughput.go: the job's throughput over time, and its progress in
// one line.

package coordinator

import (
	"fmt"
	"strings"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/statuspage"
)

// Bounds of the throughput samples.
const (
	maxRatePoints     = 120 // throughput samples kept; past it, resolution halves
	rateWindow        = 3 * time.Second
	firstRateInterval = 500 * time.Millisecond
)

// throughput samples the job's cumulative work at least every interval;
// past maxRatePoints samples it keeps every other one and doubles the
// interval, so a job of any length fits in a bounded chart.
type throughput struct {
	interval time.Duration
	samples  []workSample
}

type workSample struct {
	at             time.Time
	bytes, records int64
}

// sample records the work done by now, if the interval has passed.
func (tp *throughput) sample(now time.Time, bytes, records int64) {
	if tp.interval == 0 {
		tp.interval = firstRateInterval
	}
	if n := len(tp.samples); n > 0 && now.Sub(tp.samples[n-1].at) < tp.interval {
		return
	}
	tp.samples = append(tp.samples, workSample{now, bytes, records})
	if len(tp.samples) > maxRatePoints {
		kept := tp.samples[:0]
		for i := 0; i < len(tp.samples); i += 2 {
			kept = append(kept, tp.samples[i])
		}
		tp.samples, tp.interval = kept, 2*tp.interval
	}
}

// rates turns the samples into rates per interval, and the current rate
// over the last rateWindow.
func (tp *throughput) rates(start time.Time) protocol.Throughput {
	out := protocol.Throughput{Points: []protocol.Rate{}}
	prev := workSample{at: start}
	for _, x := range tp.samples {
		if x.at.After(prev.at) {
			out.Points = append(out.Points, rateBetween(prev, x, start))
		}
		prev = x
	}
	if n := len(tp.samples); n > 0 {
		last, from := tp.samples[n-1], workSample{at: start}
		for i := n - 2; i >= 0; i-- {
			if from = tp.samples[i]; last.at.Sub(from.at) >= rateWindow {
				break
			}
		}
		if last.at.After(from.at) {
			r := rateBetween(from, last, start)
			out.BytesPerS, out.RecordsPerS = r.BytesPerS, r.RecordsPerS
		}
	}
	return out
}

func rateBetween(a, b workSample, start time.Time) protocol.Rate {
	secs := b.at.Sub(a.at).Seconds()
	return protocol.Rate{TMS: b.at.Sub(start).Milliseconds(),
		BytesPerS:   max(0, float64(b.bytes-a.bytes)/secs),
		RecordsPerS: max(0, float64(b.records-a.records)/secs)}
}

// mean sets tp's mean rates: the committed work (bytes and records, as
// Scheduler.Work counts them) over the job's elapsed time.
func mean(tp *protocol.Throughput, bytes, records, elapsedMS int64) {
	if elapsedMS <= 0 {
		return
	}
	secs := float64(elapsedMS) / 1000
	tp.MeanBytesPerS, tp.MeanRecordsPerS = max(0, float64(bytes)/secs), max(0, float64(records)/secs)
}

// progressLine is the job in one line, for a terminal, with the current
// rate and the ETA while it runs, the mean rate once it is over:
// "map 12/16 · reduce 0/10 · 88 MB/s · 2 workers · eta 3s",
// "map 16/16 · reduce 10/10 · 61 MB/s mean · done in 4.5s".
func progressLine(st *protocol.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "map %d/%d · reduce %d/%d", st.MapsDone, st.Maps, st.ReducesDone, st.Reduces)
	if st.Over {
		fmt.Fprintf(&b, " · %s/s mean · %s in %s", statuspage.Bytes(st.Throughput.MeanBytesPerS), st.Phase,
			(time.Duration(st.ElapsedMS) * time.Millisecond).Round(100*time.Millisecond))
		return b.String()
	}
	fmt.Fprintf(&b, " · %s/s · %d workers · eta ", statuspage.Bytes(st.Throughput.BytesPerS),
		st.WorkerCounts.Working+st.WorkerCounts.Idle)
	if eta := st.Work.ETAMS; eta != nil {
		b.WriteString((time.Duration(*eta) * time.Millisecond).Round(time.Second).String())
	} else {
		b.WriteString("—")
	}
	return b.String()
}
