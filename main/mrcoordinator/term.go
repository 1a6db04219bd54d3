// The status line: the job's progress kept on the last line of a terminal,
// with log lines written above it.

package main

import (
	"io"
	"os"
	"sync"
)

// statusLine keeps one line at the bottom of a terminal, rewritten in
// place by set; log lines written through it appear above that line.
// Its methods are safe for concurrent use and do nothing on a nil
// statusLine.
type statusLine struct {
	mu   sync.Mutex // guards line and writes to out
	out  io.Writer
	line string
}

// newStatusLine returns a statusLine on f if f is a terminal, else nil.
func newStatusLine(f *os.File) *statusLine {
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &statusLine{out: f}
}

const clearLine = "\r\x1b[K" // to the line's start, erase to its end

// Write writes p (whole log lines) above the status line.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.out, clearLine)
	}
	n, err := s.out.Write(p)
	if s.line != "" {
		io.WriteString(s.out, s.line)
	}
	return n, err
}

// set shows line as the status line.
func (s *statusLine) set(line string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.line = line
	io.WriteString(s.out, clearLine+line)
}

// end leaves the status line as it is and moves below it.
func (s *statusLine) end() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.out, "\n")
		s.line = ""
	}
}
