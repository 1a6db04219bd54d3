package protocol

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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
	body := EncodeRunsRequest([]MapAttempt{{1, 1}, {2, 3}})
	signed := func() *http.Request {
		out, _ := http.NewRequest("POST", RunsURL("10.0.0.2:7100", 4), bytes.NewReader(body))
		SignBody(out, key, now, body)
		in := httptest.NewRequest("POST", out.URL.RequestURI(), untouchable{t})
		in.Header, in.ContentLength = out.Header, out.ContentLength
		return in
	}
	seen := auth.NewReplay(FreshWindow, 100)
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
		{"another digest", func(r *http.Request) { r.Header.Set(HeaderSHA256, "00") }, auth.ErrBadSig},
		{"another reduce task", func(r *http.Request) { r.RequestURI = PathRuns + "?reduce=5" }, auth.ErrBadSig},
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

func FuzzDecodeRunsRequest(f *testing.F) {
	f.Add(EncodeRunsRequest([]MapAttempt{{0, 1}, {7, 3}}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1, 3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		maps, err := DecodeRunsRequest(b)
		if err != nil {
			return
		}
		again, err := DecodeRunsRequest(EncodeRunsRequest(maps))
		if len(maps) > len(b) || err != nil || !slices.Equal(again, maps) {
			t.Fatalf("%x decoded to %v, which does not round-trip: %v", b, maps, err)
		}
	})
}
