// Tests of ReadBody's refusals and of the time a body may take.

package netx

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadBody(t *testing.T) {
	tests := []struct {
		name   string
		length int64
		body   string
		want   string
		err    error
	}{
		{"exact", 5, "hello", "hello", nil},
		{"no more than announced", 3, "hello", "hel", nil},
		{"empty", 0, "", "", nil},
		{"no length", -1, "hello", "", errNoLength},
		{"too large", 11, strings.Repeat("x", 11), "", errTooLarge},
		{"short", 5, "abc", "", errShort},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/runs", strings.NewReader(tt.body))
		r.ContentLength = tt.length
		got, err := ReadBody(httptest.NewRecorder(), r, 10)
		if string(got) != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestBodyTimeout(t *testing.T) {
	if bodyTimeout(0) != 10*time.Second || bodyTimeout(16<<20) != 26*time.Second {
		t.Fatalf("bodyTimeout: %v, %v", bodyTimeout(0), bodyTimeout(16<<20))
	}
}
