package protocol

import (
	"strconv"
	"strings"
)

// AttemptName is an attempt's name in every log line: "map-3.a2".
func AttemptName(kind TaskKind, task, n int) string {
	return kind.String() + "-" + strconv.Itoa(task) + ".a" + strconv.Itoa(n)
}

// TaskName is a task's name: "map-3".
func TaskName(kind TaskKind, task int) string {
	return kind.String() + "-" + strconv.Itoa(task)
}

// RunName is the name under which map task m's output for reduce task r
// is served: "mr-3-1".
func RunName(m, r int) string { return "mr-" + strconv.Itoa(m) + "-" + strconv.Itoa(r) }

// ParseRunName accepts exactly "mr-X-Y" with X and Y decimal numbers.
func ParseRunName(name string) (m, r int, ok bool) {
	rest, found := strings.CutPrefix(name, "mr-")
	xs, ys, found2 := strings.Cut(rest, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	m, ok1 := parseIndex(xs)
	r, ok2 := parseIndex(ys)
	return m, r, ok1 && ok2
}

// parseIndex accepts a task index: 1 to 9 decimal digits.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
