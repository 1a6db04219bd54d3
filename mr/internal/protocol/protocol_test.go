package protocol

import (
	"net/http/httptest"
	"net/url"
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
	if got := RunName(12, 4); got != "mr-12-4" {
		t.Errorf("RunName = %q", got)
	}
}

func TestParseRunRequest(t *testing.T) {
	tests := []struct {
		name, query string
		m, r, n     int
		ok          bool
	}{
		{"mr-3-1", "attempt=2", 3, 1, 2, true},
		{"mr-0-0", "attempt=1", 0, 0, 1, true},
		{"mr-3-1", "attempt=0", 0, 0, 0, false},
		{"mr-3-1", "", 0, 0, 0, false},
		{"mr-3-1", "attempt=x", 0, 0, 0, false},
		{"mr-3", "attempt=1", 0, 0, 0, false},
		{"mr--1-2", "attempt=1", 0, 0, 0, false},
		{"mr-+1-2", "attempt=1", 0, 0, 0, false},
		{"mr-1-2.a1", "attempt=1", 0, 0, 0, false},
		{"mr-1234567890-1", "attempt=1", 0, 0, 0, false},
		{"../mr-1-1", "attempt=1", 0, 0, 0, false},
		{"xr-1-1", "attempt=1", 0, 0, 0, false},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		m, r, n, ok := ParseRunRequest(tt.name, q)
		if ok != tt.ok || (ok && (m != tt.m || r != tt.r || n != tt.n)) {
			t.Errorf("ParseRunRequest(%q, %q) = %d, %d, %d, %v", tt.name, tt.query, m, r, n, ok)
		}
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
