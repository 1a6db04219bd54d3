// Tests of user counters: they count in the running attempt only, and
// their names and bounds fit the wire.

package mr

import (
	"fmt"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

func TestUserCounterBelongsToTheRunningAttempt(t *testing.T) {
	lines := Counter("bad lines")
	lines.Add(7) // no attempt: nothing
	u := StartCounting()
	lines.Add(1)
	Counter("bad lines").Add(2)
	for i := range MaxCounters + 3 {
		Counter(fmt.Sprint("n", i)).Add(1)
	}
	counts, dropped := u.Stop()
	if dropped != 4 {
		t.Fatalf("%d adds dropped, want 4", dropped)
	}
	lines.Add(5) // after the attempt: nothing, and no panic
	c := protocol.Counters{User: counts}
	if counts["bad lines"] != 3 || len(counts) != MaxCounters || c.Check() != nil {
		t.Fatalf("user counters = %v", counts)
	}
	if running.Load() != nil {
		t.Fatal("counters still running after end")
	}
}

func TestCounterNamesFitTheWire(t *testing.T) {
	long := strings.Repeat("é", MaxCounterName) // 2 bytes each
	tests := map[string]string{"": "?", "ok": "ok", "a\xffb": "a?b", long: long[:MaxCounterName]}
	for in, want := range tests {
		if got := Counter(in).name; got != want {
			t.Errorf("Counter(%.20q).name = %.20q, want %.20q", in, got, want)
		}
	}
}

// The contract's bounds are the wire's: MaxCounters names of
// MaxCounterName bytes pass the wire's check, one name more or one byte
// more does not.
func TestCounterBoundsAreTheWires(t *testing.T) {
	full := &protocol.Counters{User: map[string]int64{}}
	for i := range MaxCounters {
		full.User[fmt.Sprintf("%0*d", MaxCounterName, i)] = 1
	}
	if err := full.Check(); err != nil {
		t.Fatalf("the wire refuses %d names of %d bytes: %v", MaxCounters, MaxCounterName, err)
	}
	full.User[strings.Repeat("x", MaxCounterName)] = 1
	if full.Check() == nil {
		t.Fatalf("the wire takes %d names, mr allows %d", MaxCounters+1, MaxCounters)
	}
	long := &protocol.Counters{User: map[string]int64{strings.Repeat("x", MaxCounterName+1): 1}}
	if long.Check() == nil {
		t.Fatalf("the wire takes a name of %d bytes, mr allows %d", MaxCounterName+1, MaxCounterName)
	}
}
