package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	if got := AttemptName(MapTask, 3, 2); got != "map-3.a2" {
		t.Errorf("AttemptName = %q", got)
	}
	if got := (Attempt{Kind: ReduceTask, Task: 0, N: 1}).String(); got != "reduce-0.a1" {
		t.Errorf("Attempt.String = %q", got)
	}
	if got := TaskName(MapTask, 7); got != "map-7" {
		t.Errorf("TaskName = %q", got)
	}
}

func TestRunsRequestRoundTrip(t *testing.T) {
	maps := []MapAttempt{{0, 1}, {7, 3}, {199999, 2}}
	got, err := DecodeRunsRequest(EncodeRunsRequest(maps))
	if err != nil || !slices.Equal(got, maps) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	for name, body := range map[string][]byte{
		"empty":          nil,
		"huge count":     binary.AppendUvarint(nil, 1<<40),
		"count too high": binary.AppendUvarint(nil, 5),
		"attempt 0":      append(binary.AppendUvarint(nil, 1), 3, 0),
		"trailing":       append(EncodeRunsRequest(maps), 1),
		"truncated":      EncodeRunsRequest(maps)[:4],
	} {
		if _, err := DecodeRunsRequest(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRunsFrames(t *testing.T) {
	b := AppendRunsFrame(nil, MapAttempt{3, 2}, 1234)
	b = AppendRunsFrame(b, MapAttempt{4, 1}, -1)
	r := bufio.NewReader(bytes.NewReader(b))
	for _, want := range []struct {
		m    MapAttempt
		size int64
	}{{MapAttempt{3, 2}, 1234}, {MapAttempt{4, 1}, -1}} {
		m, size, err := ReadRunsFrame(r)
		if err != nil || m != want.m || size != want.size {
			t.Fatalf("frame %v %d %v, want %v %d", m, size, err, want.m, want.size)
		}
	}
	if _, _, err := ReadRunsFrame(bufio.NewReader(bytes.NewReader(binary.AppendVarint([]byte{1, 1}, -7)))); err == nil {
		t.Fatal("a negative size was accepted")
	}
}

func TestAttemptQueryRoundTrip(t *testing.T) {
	a := Attempt{WorkerID: "w&7=x", Kind: ReduceTask, Task: 4, N: 3}
	req := httptest.NewRequest("POST", ReduceURL("10.0.0.1:7000", a), nil)
	if req.URL.Path != PathReduce {
		t.Fatalf("path %q", req.URL.Path)
	}
	got, err := ParseAttempt(req, ReduceTask)
	if err != nil || got != a {
		t.Fatalf("ParseAttempt = %+v, %v; want %+v", got, err, a)
	}
	for _, bad := range []string{"/split?task=1&attempt=1", "/split?worker=w1&task=x&attempt=1", "/split?worker=w1&task=1"} {
		if _, err := ParseAttempt(httptest.NewRequest("GET", bad, nil), MapTask); err == nil {
			t.Errorf("ParseAttempt(%s) succeeded", bad)
		}
	}
}
