package worker

import (
	"testing"

	"mapreduce/internal/protocol"
)

// A map attempt's parts: once the first input is mapped, the fraction is
// near 1; a part handed over takes it back to the share of the input
// mapped so far, and it grows again with the part, never past 1.
func TestProgressOfAnAttemptWithParts(t *testing.T) {
	var p progressMeter
	a := protocol.Attempt{WorkerID: "w1", Kind: protocol.MapTask, Task: 0, N: 1}
	p.start(a)
	p.mapDone(100, 100) // one emitted byte per input byte
	p.mapEmitted(100, 100)
	if _, f := p.get(); f != 1 {
		t.Fatalf("its input mapped: %.2f, want 1", f)
	}
	p.nextPart(100, 300)
	if _, f := p.get(); f != 0.25 {
		t.Fatalf("a part of 300 bytes after 100: %.2f, want 0.25", f)
	}
	p.mapEmitted(300, 150)
	if _, f := p.get(); f < 0.25 || f > 0.75 {
		t.Fatalf("half the part mapped: %.2f, want within [0.25, 0.75]", f)
	}
	p.mapEmitted(300, 900)
	if _, f := p.get(); f != 1 {
		t.Fatalf("the part mapped, and more emitted than expected: %.2f, want 1", f)
	}
	p.start(a)
	p.mapEmitted(100, 0)
	if _, f := p.get(); f != 0.1 {
		t.Fatalf("a new attempt, its split read: %.2f, want 0.1 (no part left over)", f)
	}
}
