// Tests of session keys, keys without a secret, signed requests, the
// replay cache's bound and the log limiter.

package auth

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSessionKeysAgree(t *testing.T) {
	for _, keys := range []*Keys{nil, New([]byte("s"))} {
		w, c := NewExchange(), NewExchange()
		kw, err1 := w.SessionKey(keys, c.Public(), "w1", w.Public(), c.Public())
		kc, err2 := c.SessionKey(keys, w.Public(), "w1", w.Public(), c.Public())
		if err1 != nil || err2 != nil || !bytes.Equal(kw, kc) || len(kw) != 32 {
			t.Fatalf("keys %v: %x vs %x (%v, %v)", keys != nil, kw, kc, err1, err2)
		}
		other, _ := w.SessionKey(New([]byte("other")), c.Public(), "w1", w.Public(), c.Public())
		if bytes.Equal(other, kw) {
			t.Fatal("a different secret agreed the same session key")
		}
	}
	if _, err := NewExchange().SessionKey(nil, []byte("short"), "w1", nil, nil); err == nil {
		t.Fatal("a bad public key was accepted")
	}
}

func TestNoSecretNoKeys(t *testing.T) {
	if New(nil) != nil || New([]byte{}) != nil {
		t.Fatal("an empty secret made keys")
	}
	var k *Keys
	if k.RPCKey() != nil || k.FetchKey() != nil {
		t.Fatal("nil keys gave a key")
	}
	a, b := New([]byte("a")), New([]byte("b"))
	if bytes.Equal(a.RPCKey(), b.RPCKey()) || bytes.Equal(a.RPCKey(), a.FetchKey()) {
		t.Fatal("derived keys collide")
	}
	if len(a.RPCKey()) != 32 {
		t.Fatal("rpc key is not a 32-byte MAC")
	}
}

func TestSignedRequests(t *testing.T) {
	key := []byte("k")
	sign := func(now time.Time, covered ...string) http.Header {
		h := http.Header{}
		SignRequest(h, key, "POST", "/reduce?worker=w1&task=0&attempt=1", now, covered...)
		return h
	}
	seen := NewReplayQuota(time.Minute, 100, 100).From("")
	h := sign(t0, "10", "crc")
	if err := VerifyRequest(h, key, "POST", "/reduce?worker=w1&task=0&attempt=1", t0, seen, "10", "crc"); err != nil {
		t.Fatalf("good request refused: %v", err)
	}
	tests := []struct {
		name    string
		h       http.Header
		key     []byte
		uri     string
		now     time.Time
		covered []string
		want    error
	}{
		{"replayed", h, key, "/reduce?worker=w1&task=0&attempt=1", t0, []string{"10", "crc"}, ErrReplayed},
		{"unsigned", http.Header{}, key, "/reduce?worker=w1&task=0&attempt=1", t0, nil, ErrUnsigned},
		{"other uri", sign(t0), key, "/reduce?worker=w2&task=0&attempt=1", t0, nil, ErrBadSig},
		{"other key", sign(t0), []byte("x"), "/reduce?worker=w1&task=0&attempt=1", t0, nil, ErrBadSig},
		{"other body", sign(t0, "10", "crc"), key, "/reduce?worker=w1&task=0&attempt=1", t0, []string{"11", "crc"}, ErrBadSig},
		{"too old", sign(t0), key, "/reduce?worker=w1&task=0&attempt=1", t0.Add(2 * time.Minute), nil, ErrStale},
		{"from the future", sign(t0.Add(2 * time.Minute)), key, "/reduce?worker=w1&task=0&attempt=1", t0, nil, ErrStale},
	}
	for _, tt := range tests {
		if err := VerifyRequest(tt.h, tt.key, "POST", tt.uri, tt.now, seen, tt.covered...); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestReplayIsBounded(t *testing.T) {
	r := NewReplayQuota(time.Minute, 2, 2)
	if r.From("").Check(Nonce(), t0, t0) != nil || r.From("").Check(Nonce(), t0, t0) != nil {
		t.Fatal("first two refused")
	}
	if r.From("").Check(Nonce(), t0, t0) == nil {
		t.Fatal("a third nonce fit in a cache of two")
	}
	later := t0.Add(3 * time.Minute)
	if err := r.From("").Check(Nonce(), later, later); err != nil {
		t.Fatalf("old nonces were not forgotten: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(time.Minute)
	if !l.Allow("a", t0) || l.Allow("a", t0.Add(time.Second)) || !l.Allow("b", t0) {
		t.Fatal("wrong first minute")
	}
	if !l.Allow("a", t0.Add(time.Minute)) {
		t.Fatal("a was not allowed again after a minute")
	}
}
