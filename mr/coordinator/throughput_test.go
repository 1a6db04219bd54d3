// throughput_test.go: throughput samples, mean rates and the progress
// line.

package coordinator

import (
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/statuspage"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestThroughputRatesAndBoundedSamples(t *testing.T) {
	var tp throughput
	now := t0
	for i := 1; i <= 4; i++ {
		now = now.Add(500 * time.Millisecond)
		tp.sample(now, int64(i)*1000, int64(i)*10)
		tp.sample(now.Add(time.Millisecond), 1, 1) // too soon: ignored
	}
	got := tp.rates(t0)
	if len(got.Points) != 4 || got.Points[3].TMS != 2000 || got.Points[3].BytesPerS != 2000 || got.RecordsPerS != 20 || got.BytesPerS != 2000 {
		t.Fatalf("rates %+v", got)
	}
	for range 1000 {
		now = now.Add(time.Second)
		tp.sample(now, 0, 0) // less work than before (an output lost): no negative rate
	}
	got = tp.rates(t0)
	if len(got.Points) > maxRatePoints || len(got.Points) < maxRatePoints/2 || got.BytesPerS != 0 {
		t.Fatalf("%d points, current %v B/s", len(got.Points), got.BytesPerS)
	}
	for _, p := range got.Points {
		if p.BytesPerS < 0 {
			t.Fatalf("negative rate %+v", p)
		}
	}
}

func TestMeanIsCommittedWorkOverElapsed(t *testing.T) {
	tp := protocol.Throughput{BytesPerS: 5e6}
	mean(&tp, 12e6, 3000, 4000)
	if tp.MeanBytesPerS != 3e6 || tp.MeanRecordsPerS != 750 || tp.BytesPerS != 5e6 {
		t.Fatalf("throughput %+v", tp)
	}
	tp = protocol.Throughput{}
	mean(&tp, 12e6, 3000, 0)
	if tp.MeanBytesPerS != 0 {
		t.Fatalf("mean over no time: %+v", tp)
	}
}

func TestProgressLine(t *testing.T) {
	eta := int64(6400)
	for _, c := range []struct {
		st   protocol.Status
		want string
	}{
		{protocol.Status{MapsDone: 12, Maps: 16, ReducesDone: 1, Reduces: 10, LiveWorkers: 3, ElapsedMS: 6000,
			WorkerCounts: protocol.WorkerCounts{Working: 1, Idle: 1, Exited: 1}, Work: protocol.Work{ETAMS: &eta},
			Throughput: protocol.Throughput{BytesPerS: 88.4e6}},
			"map 12/16 · reduce 1/10 · 88 MB/s · 2 workers · eta 6s"},
		{protocol.Status{Maps: 16, Reduces: 10, ElapsedMS: 100, WorkerCounts: protocol.WorkerCounts{Idle: 2}},
			"map 0/16 · reduce 0/10 · 0 B/s · 2 workers · eta —"},
		// Over: the mean, not the last window's rate; no workers said live.
		{protocol.Status{Phase: "done", Over: true, MapsDone: 1, Maps: 1, ReducesDone: 1, Reduces: 1, ElapsedMS: 1234,
			LiveWorkers: 3, WorkerCounts: protocol.WorkerCounts{Exited: 3},
			Throughput: protocol.Throughput{BytesPerS: 9e6, MeanBytesPerS: 61e6}},
			"map 1/1 · reduce 1/1 · 61 MB/s mean · done in 1.2s"},
	} {
		if got := progressLine(&c.st); got != c.want {
			t.Errorf("progressLine = %q, want %q", got, c.want)
		}
	}
	for n, want := range map[float64]string{999: "999 B", 1500: "1.5 kB", 88.4e6: "88 MB", 3e18: "3.0 EB"} {
		if got := statuspage.Bytes(n); got != want {
			t.Errorf("Bytes(%v) = %q, want %q", n, got, want)
		}
	}
}
