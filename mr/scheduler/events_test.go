// The events' contract: every kind's log message, pinned, and the keys of
// the events that scripts read.

package scheduler

import (
	"slices"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// wantMessages is every event's message as the coordinator logs it
// (msg="..."). Rewording one changes a contract: whoever reads it, named
// here, changes in the same commit.
var wantMessages = map[EventKind]string{
	WorkerJoined:     "worker joined",       // mrcluster follows it (with addr= and worker=)
	WorkerToldToExit: "worker told to exit", // mrcoordinator's terminal filter, by kind
	WorkerDied:       "worker died",
	WorkerExcluded:   "worker excluded",
	AllExcluded:      "every worker excluded",
	InputsHeld:       "inputs held",
	InputCopyDiffers: "input copy differs",
	InputUnheld:      "input held by no live worker",

	TaskAssigned:      "task assigned", // mrcoordinator's terminal filter, by kind
	TaskSlow:          "task slow",
	TaskDone:          "task done", // mrcoordinator's terminal filter, by kind
	TaskRecovered:     "task recovered",
	AttemptAbandoned:  "attempt abandoned",
	AttemptFailed:     "attempt failed",
	AttemptGivenUp:    "attempt given up: the job is over",
	AttemptSuperseded: "attempt superseded",
	AttemptGivesWay:   "attempt gives way",
	TaskAbsorbed:      "task absorbed",

	ReportStale:     "stale report ignored", // README's failure table; the coordinator logs stale uploads alike
	ReportRepeated:  "report repeated",
	ReportRefused:   "report refused",
	CountersIgnored: "counters ignored",

	FetchFailureReported: "fetch failure reported",
	OwnerVerified:        "owner verified its output",
	MapOutputLost:        "map output lost",
	MapOutputTakenBack:   "map output taken back",
	RecoveredMapRerun:    "recovered map runs again",
	PhaseChanged:         "phase changed", // mrcluster follows it (phase=)
}

func TestEventMessagesArePinned(t *testing.T) {
	seen := make(map[string]EventKind)
	for k := EventKind(1); k < numEventKinds; k++ {
		want, ok := wantMessages[k]
		if !ok {
			t.Errorf("event kind %d (%q) has no pinned message", k, k)
			continue
		}
		if got := k.String(); got != want {
			t.Errorf("event kind %d logs %q, want %q", k, got, want)
		}
		if other, dup := seen[want]; dup {
			t.Errorf("kinds %d and %d share the message %q", other, k, want)
		}
		seen[want] = k
		if want != strings.ToLower(want) || strings.ContainsAny(want, "%=\"\n") {
			t.Errorf("message %q is not a constant lowercase message", want)
		}
	}
	if len(wantMessages) != int(numEventKinds)-1 {
		t.Errorf("%d messages pinned for %d kinds", len(wantMessages), numEventKinds-1)
	}
	for _, k := range []EventKind{0, numEventKinds} {
		if s := k.String(); !strings.HasPrefix(s, "EventKind(") {
			t.Errorf("kind %d prints %q", k, s)
		}
	}
}

// A job's story as events, in order: what a person watching the
// log sees, and what the scripts follow, with the keys they read.
func TestHappyPathEvents(t *testing.T) {
	h := newHarness(t, 1, 1)
	w := h.join("a:1")
	h.mapDone(w, h.get(w, protocol.ActMap))
	h.reduceDone(w, h.get(w, protocol.ActReduce))
	h.s.End("")
	h.get(w, protocol.ActExit)
	var got []EventKind
	for _, e := range h.s.TakeEvents() {
		got = append(got, e.Kind)
		switch e.Kind {
		case WorkerJoined:
			if e.Worker != w || !slices.Equal(e.Args, []any{"addr", "a:1"}) {
				t.Errorf("worker joined: worker %q, args %v", e.Worker, e.Args)
			}
		case PhaseChanged:
			if len(e.Args) != 2 || e.Args[0] != "phase" {
				t.Errorf("phase changed: args %v, want phase last", e.Args)
			}
		case TaskAssigned, TaskDone:
			if e.Worker != w || e.Attempt == "" {
				t.Errorf("%s: worker %q, attempt %q", e.Kind, e.Worker, e.Attempt)
			}
		}
	}
	want := []EventKind{WorkerJoined, TaskAssigned, TaskDone, PhaseChanged, TaskAssigned, TaskDone,
		PhaseChanged, PhaseChanged, WorkerToldToExit}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}
