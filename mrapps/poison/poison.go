// Poison is word count with poisoned inputs, for the fault tests: its Map
// misbehaves on an input whose base name starts with
//
//   - poison-exit: the process exits with status 3;
//   - poison-panic: a goroutine of its own panics (no recover can catch it);
//   - poison-hang: Map never returns.
//
// On every other input it is wc. A job with a poisoned input must end
// with a line naming that input, soon, and never stall.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/words"
)

// Map counts words, or misbehaves on a poisoned input.
func Map(filename string, contents string) []mr.KeyValue {
	switch base := filepath.Base(filename); {
	case strings.HasPrefix(base, "poison-exit"):
		fmt.Fprintf(os.Stderr, "poison: %s is poison, exiting with status 3\n", filename)
		os.Exit(3)
	case strings.HasPrefix(base, "poison-panic"):
		go func() { panic("poison: " + filename + " is poison") }()
		select {}
	case strings.HasPrefix(base, "poison-hang"):
		select {}
	}
	return words.Ones(contents)
}

// Reduce returns the number of occurrences.
func Reduce(key string, values []string) string { return fmt.Sprint(len(values)) }
