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

// parseIndex accepts a task index: 1 to 9 decimal digits.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
