// Tests of names, the /runs request and frames (with a fuzzer of the
// request decoder), SplitAddr, and the bounds of parameters and cut points.

package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net"
	"net/url"
	"slices"
	"strings"
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

// SplitAddr agrees with net.SplitHostPort, which the scheduler may not
// link, on what it accepts and how it splits.
func TestSplitAddrAsNet(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:80", "host:1234", "[::1]:80", "[fe80::1%eth0]:7", ":80", "host:",
		"host", "::1:80", "[::1]", "[::1:80", "h[ost:80", "host:8]0", "[a]b:80", "", ":", "[]:1", "a:b:c"} {
		h, p, err := SplitAddr(addr)
		nh, np, nerr := net.SplitHostPort(addr)
		if (err == nil) != (nerr == nil) || h != nh || p != np {
			t.Errorf("SplitAddr(%q) = %q, %q, %v; net.SplitHostPort: %q, %q, %v", addr, h, p, err, nh, np, nerr)
		}
	}
}

func TestRunsQueryBatch(t *testing.T) {
	u, err := url.Parse(RunsURL("10.0.0.2:7100", []int{4, 9, 5}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRunsQuery(u.Query())
	if err != nil || !slices.Equal(got, []int{4, 9, 5}) {
		t.Fatalf("got %v, %v; want [4 9 5]", got, err)
	}
	tooMany := strings.Repeat("1,", MaxReduceBatch) + "1"
	for _, q := range []string{"", "1,", ",1", "1,x", "-1", tooMany} {
		if _, err := ParseRunsQuery(url.Values{"reduce": {q}}); err == nil {
			t.Errorf("reduce=%q accepted", q)
		}
	}
}

// A parameter's value may be maxParamValue bytes, not one more.
func TestParamValueBound(t *testing.T) {
	if _, _, err := ParseParam("p=" + strings.Repeat("v", maxParamValue)); err != nil {
		t.Errorf("a value of %d bytes refused: %v", maxParamValue, err)
	}
	if _, _, err := ParseParam("p=" + strings.Repeat("v", maxParamValue+1)); err == nil {
		t.Errorf("a value of %d bytes accepted", maxParamValue+1)
	}
}

// CutKeyLimit keeps a job's R-1 cut points within maxCutBytes in all, one
// within maxCutKey, and CheckCuts holds them to it.
func TestCutKeyLimitBoundsAllCuts(t *testing.T) {
	if CutKeyLimit(2) != maxCutKey {
		t.Errorf("CutKeyLimit(2) = %d, want %d", CutKeyLimit(2), maxCutKey)
	}
	for _, n := range []int{2, 3, 1000, 16385, 100_000, 1 << 20} {
		limit := CutKeyLimit(n)
		if limit < 1 || limit > maxCutKey || (limit > 1 && limit*(n-1) > maxCutBytes) {
			t.Errorf("CutKeyLimit(%d) = %d: %d bytes in all", n, limit, limit*(n-1))
		}
	}
	cuts := []string{strings.Repeat("k", CutKeyLimit(3)+1), "z"}
	if CheckCuts(cuts, 3) == nil {
		t.Errorf("CheckCuts accepted a cut point of %d bytes", len(cuts[0]))
	}
}
