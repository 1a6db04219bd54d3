// Tests of signed HTTP requests and the attempt in their query.

package wire

import (
	"bytes"
	"errors"
	"io"
	"mapreduce/internal/protocol"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"mapreduce/internal/auth"
)

// untouchable is a body that fails the test if it is read.
type untouchable struct{ t *testing.T }

func (u untouchable) Read([]byte) (int, error) {
	u.t.Fatal("the body was read before its headers verified")
	return 0, io.EOF
}

func TestSignedBodyHeadersVerifyBeforeTheBody(t *testing.T) {
	key := []byte("fetch key")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := protocol.EncodeRunsRequest([]protocol.MapAttempt{{Map: 1, Attempt: 1}, {Map: 2, Attempt: 3}})
	signed := func() *http.Request {
		out, _ := http.NewRequest("POST", protocol.RunsURL("10.0.0.2:7100", []int{4}), bytes.NewReader(body))
		SignBody(out, key, now, body)
		in := httptest.NewRequest("POST", out.URL.RequestURI(), untouchable{t})
		in.Header, in.ContentLength = out.Header, out.ContentLength
		return in
	}
	seen := auth.NewReplayQuota(FreshWindow, 100, 100)
	r := signed()
	if err := VerifyBodyHeaders(r, key, now, seen.From("10.0.0.3")); err != nil {
		t.Fatalf("a signed request was refused: %v", err)
	}
	if err := CheckBodyDigest(r.Header, body); err != nil {
		t.Fatalf("its body was refused: %v", err)
	}
	tests := []struct {
		name   string
		change func(r *http.Request)
		want   error
	}{
		{"longer than signed", func(r *http.Request) { r.ContentLength++ }, auth.ErrBadSig},
		{"no length (chunked)", func(r *http.Request) { r.ContentLength = -1 }, ErrNoLength},
		{"another digest", func(r *http.Request) { r.Header.Set(protocol.HeaderSHA256, "00") }, auth.ErrBadSig},
		{"another reduce task", func(r *http.Request) { r.RequestURI = protocol.PathRuns + "?reduce=5" }, auth.ErrBadSig},
		{"replayed", func(x *http.Request) { x.Header = r.Header }, auth.ErrReplayed},
	}
	for _, tt := range tests {
		x := signed()
		tt.change(x)
		if err := VerifyBodyHeaders(x, key, now, seen.From("10.0.0.9")); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := CheckBodyDigest(r.Header, append(body, 0)); !errors.Is(err, ErrDigest) {
		t.Fatalf("a body other than the signed one: %v", err)
	}
	if err := CheckBodyDigest(http.Header{}, body); !errors.Is(err, ErrDigest) {
		t.Fatalf("a body without a digest: %v", err)
	}
}

func TestAttemptQueryRoundTrip(t *testing.T) {
	a := protocol.Attempt{WorkerID: "w&7=x", Kind: protocol.ReduceTask, Task: 4, N: 3}
	req := httptest.NewRequest("POST", ReduceURL("10.0.0.1:7000", a), nil)
	if req.URL.Path != protocol.PathReduce {
		t.Fatalf("path %q", req.URL.Path)
	}
	got, err := ParseAttempt(req, protocol.ReduceTask)
	if err != nil || got != a {
		t.Fatalf("ParseAttempt = %+v, %v; want %+v", got, err, a)
	}
	for _, bad := range []string{"/split?task=1&attempt=1", "/split?worker=w1&task=x&attempt=1", "/split?worker=w1&task=1"} {
		if _, err := ParseAttempt(httptest.NewRequest("GET", bad, nil), protocol.MapTask); err == nil {
			t.Errorf("ParseAttempt(%s) succeeded", bad)
		}
	}
}
