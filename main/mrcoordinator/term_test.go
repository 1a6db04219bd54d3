// Tests of the status line: log lines stay above it, and off a terminal
// there is none.

package main

import (
	"os"
	"strings"
	"testing"
)

func TestStatusLineStaysBelowLogLines(t *testing.T) {
	var out strings.Builder
	s := &statusLine{out: &out}
	s.Write([]byte("first log line\n"))
	s.set("map 1/2")
	s.Write([]byte("second log line\n"))
	s.set("map 2/2")
	s.end()
	want := "first log line\n" + clearLine + "map 1/2" + clearLine + "second log line\nmap 1/2" + clearLine + "map 2/2\n"
	if out.String() != want {
		t.Fatalf("wrote %q\nwant  %q", out.String(), want)
	}
	var none *statusLine
	none.set("x") // a nil statusLine does nothing
	none.end()
}

func TestNoStatusLineOffATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if newStatusLine(f) != nil {
		t.Fatal("a regular file taken for a terminal")
	}
}
