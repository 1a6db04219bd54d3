// Checks of what peers send (app names, addresses, parameters, cut
// points), applied before anything of it is used.

package protocol

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DefaultAddr is where the coordinator listens, and workers look for it,
// when neither a flag nor COORDINATOR_HOST says otherwise.
const DefaultAddr = "127.0.0.1:1234"

// appNamePattern is what an app name may look like: it becomes part of
// output file names (mr-<app>-all), so nothing path-like gets through.
var appNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// errBadAppName refuses an app name that could not name a file safely.
var errBadAppName = errors.New("mr: app names are 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")

// CheckAppName accepts an app name that can safely be part of a file name.
func CheckAppName(name string) error {
	if !appNamePattern.MatchString(name) {
		return fmt.Errorf("%w: %q", errBadAppName, Truncate(name, 80))
	}
	return nil
}

// CheckAddr accepts host:port with a non-empty host, a port from 1 to
// 65535, at most 262 bytes in all.
func CheckAddr(addr string) error {
	if len(addr) > 262 {
		return fmt.Errorf("mr: address of %d bytes is too long", len(addr))
	}
	host, port, err := SplitAddr(addr)
	if err != nil {
		return fmt.Errorf("mr: bad address %q: %w", Truncate(addr, 80), err)
	}
	p, err := strconv.Atoi(port)
	if host == "" || err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("mr: bad address %q: want host:port", Truncate(addr, 80))
	}
	return nil
}

// SplitAddr splits "host:port" or "[host]:port" into host and port, as
// net.SplitHostPort does, without linking the network (the scheduler
// uses it): a host with a colon must be in brackets, and brackets appear
// nowhere else.
func SplitAddr(addr string) (host, port string, err error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", errors.New("missing port in address")
	}
	host, port = addr[:i], addr[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return "", "", errors.New("missing ']' in address")
		}
		host = host[1 : len(host)-1]
	} else if strings.IndexByte(host, ':') >= 0 {
		return "", "", errors.New("too many colons in address")
	}
	if strings.ContainsAny(host, "[]") || strings.ContainsAny(port, "[]") {
		return "", "", errors.New("unexpected bracket in address")
	}
	return host, port, nil
}

// MaxErrText bounds the error text a worker's failure report may carry.
const MaxErrText = 512

// Truncate cuts s to at most n bytes, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Bounds of a job's parameters (mrcoordinator -param NAME=VALUE): at most
// MaxParams, each value at most maxParamValue bytes, names as app names.
const (
	MaxParams     = 64
	maxParamValue = 4 << 10
)

// ParseParam splits a -param flag's NAME=VALUE and checks both.
func ParseParam(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("mr: -param %q: want NAME=VALUE", Truncate(s, 80))
	}
	if !appNamePattern.MatchString(name) {
		return "", "", fmt.Errorf("mr: -param %q: names are 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", Truncate(name, 80))
	}
	if len(value) > maxParamValue {
		return "", "", fmt.Errorf("mr: -param %s: %d bytes exceed the limit of %d", name, len(value), maxParamValue)
	}
	return name, value, nil
}

// CheckParams accepts a job's parameters within their bounds.
func CheckParams(p map[string]string) error {
	if len(p) > MaxParams {
		return fmt.Errorf("mr: %d parameters exceed the limit of %d", len(p), MaxParams)
	}
	for name, value := range p {
		if _, _, err := ParseParam(name + "=" + value); err != nil {
			return err
		}
	}
	return nil
}

// maxCutKey and maxCutBytes bound the cut points of a total-order job
// (Cuts): one, and all of them. A sampled key longer than CutKeyLimit
// allows is cut to its first bytes, which still splits the keys in order.
const (
	maxCutKey   = 1 << 10
	maxCutBytes = 16 << 20
)

// CutKeyLimit is the longest cut point of a job of nReduce reduce tasks.
func CutKeyLimit(nReduce int) int { return max(min(maxCutKey, maxCutBytes/max(nReduce-1, 1)), 1) }

// CheckCuts accepts the cut points of a total-order job of nReduce
// reduce tasks: nReduce-1 keys, of at most CutKeyLimit bytes, in
// increasing order.
func CheckCuts(cuts []string, nReduce int) error {
	if len(cuts) != nReduce-1 {
		return fmt.Errorf("mr: %d cut points for %d reduce tasks", len(cuts), nReduce)
	}
	limit := CutKeyLimit(nReduce)
	for i, c := range cuts {
		if len(c) > limit || (i > 0 && c < cuts[i-1]) {
			return fmt.Errorf("mr: cut point %d is out of order or longer than %d bytes", i, limit)
		}
	}
	return nil
}
