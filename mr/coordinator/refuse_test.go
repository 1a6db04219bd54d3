package coordinator

// refuse_test.go: a refusal on a real connection carries the caller's
// headers.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"mapreduce/internal/protocol"
)

// refuse writes its answer on the hijacked connection itself; the
// headers its caller set (the status page's JobHeader, which a holder of
// the secret needs to derive the read-only token) go with it.
func TestRefusalCarriesTheCallersHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(protocol.JobHeader, "job-1234")
		refuse(w, "mr: no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(protocol.JobHeader) != "job-1234" || string(body) != "mr: no\n" {
		t.Fatalf("refusal: %s, %s %q, body %q", resp.Status, protocol.JobHeader, resp.Header.Get(protocol.JobHeader), body)
	}
}
