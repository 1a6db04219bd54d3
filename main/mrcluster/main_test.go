// main_test.go: mrcluster's pure parts: names, durations, flags, and what
// it says of the coordinator's log lines.

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Host 0's coordinator gets each input under the name mrsequential gets
// here (a relative path below here kept, others by base name).
func TestInputName(t *testing.T) {
	var got []string
	for _, f := range []string{"in/a.txt", "in/", "./in/b.txt", "/data/c.txt", "../up/d.txt", "in/../e.txt"} {
		got = append(got, inputName(f))
	}
	if want := "in/a.txt in ./in/b.txt c.txt d.txt e.txt"; strings.Join(got, " ") != want {
		t.Fatalf("names %q, want %q", got, want)
	}
}

// -linger is read as the coordinator reads it, in whole seconds.
func TestSeconds(t *testing.T) {
	for d, want := range map[string]int{"90s": 90, "2m": 120, "1h30m": 5400, "0s": 0} {
		if n, ok := seconds(d); !ok || n != want {
			t.Errorf("seconds(%q) = %d, %v; want %d", d, n, ok, want)
		}
	}
	for _, d := range []string{"500ms", "", "1.5m", "m"} {
		if _, ok := seconds(d); ok {
			t.Errorf("seconds(%q) accepted", d)
		}
	}
}

// Bad usage: one line naming the thing at fault, the usage line, exit 2;
// flags and inputs may come in any order.
func TestParse(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "s")
	os.WriteFile(secret, []byte("x"), 0o600)
	for _, c := range []struct {
		args []string
		want string // "" when it parses
	}{
		{[]string{"in", "-workers", "2", "-v"}, ""},
		{[]string{"-workers", "0", "in"}, "-workers (1..99)"},
		{[]string{}, "no inputs"},
		{[]string{"-split-size", "1k", "in"}, "-split-size 1k"},
		{[]string{"-worker-data", "some", "in"}, "-worker-data some"},
		{[]string{"-coordinator-data", "none", "in"}, "-coordinator-data none needs"},
		{[]string{"-link-rate", "fast", "in"}, "-link-rate fast"},
		{[]string{"-secret", "-secret-file", secret, "in"}, "exclude each other"},
		{[]string{"-secret-file", filepath.Join(dir, "none"), "in"}, "not a readable file"},
		{[]string{"x", "/b/x"}, "two inputs are named"},
		{[]string{"out/x"}, "keeps its own out/"},
		{[]string{"-linger", "5ms", "in"}, "-linger 5ms"},
		{[]string{"-bogus", "in"}, "not defined: -bogus"},
	} {
		status, said := parseQuiet(c.args)
		if c.want == "" && status != -1 || c.want != "" && (status != 2 || !strings.Contains(said, c.want) || !strings.HasSuffix(said, usageLine+"\n")) {
			t.Errorf("%q: status %d, said %q; want %q and the usage line", c.args, status, said, c.want)
		}
	}
}

// parseQuiet is parse's status and what it wrote to standard error.
func parseQuiet(args []string) (int, string) {
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	_, status := parse(args)
	os.Stderr = stderr
	w.Close()
	b, _ := io.ReadAll(r)
	return status, string(b)
}

// What mrcluster says of the coordinator's lines.
func TestSay(t *testing.T) {
	c := &cluster{o: &options{lingerText: "2m"}}
	for line, want := range map[string]string{
		`time=x level=INFO msg="status page" url=http://10.77.0.10:7000/?token=ab`:                        "status page http://10.77.0.10:7000/?token=ab (open it from this machine; it stays up 2m after the job, -linger)",
		`time=x level=INFO msg="worker joined" worker=w2 addr=10.77.3.12:7100`:                            "host 2's worker joined as w2",
		`time=x level=INFO msg="phase changed" phase=reduce`:                                              "phase reduce",
		`time=x level=INFO msg="job over; the status page stays up" url=http://10.77.0.10:7000/ for=2m0s`: "job over; the status page stays up for 2m0s (Ctrl-C ends it)",
		`time=x level=INFO msg="task done" attempt=map-1.a1`:                                              "",
	} {
		if got := c.say(line); got != want {
			t.Errorf("say(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestIECBytes(t *testing.T) {
	for s, want := range map[string]int64{"8M": 8 << 20, "16K": 16 << 10, "1G": 1 << 30, "1000": 1000} {
		if n, err := iecBytes(s); err != nil || n != want {
			t.Errorf("iecBytes(%q) = %d, %v; want %d", s, n, err, want)
		}
	}
	for _, s := range []string{"", "M", "1.5M", "-1K", "0"} {
		if _, err := iecBytes(s); err == nil {
			t.Errorf("iecBytes(%q) accepted", s)
		}
	}
}
