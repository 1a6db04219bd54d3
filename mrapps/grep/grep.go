// Grep is the paper's distributed grep (OSDI'04 §2.3), a map-only app:
// every line of the inputs that matches the regular expression of the
// job's parameter "pattern" (Go's regexp syntax) is a record, keyed by
// its file and line number, its value the line:
//
//	mrcoordinator -nreduce 0 -param 'pattern=[Ww]hale' in/*.txt
//	mrworker bin/grep.so
//
// mr-grep-all then holds "file:N line" for every match, in input order,
// as grep -n would list them. It needs whole files (WholeFiles), so that
// line numbers count from each file's start. Run with reduce tasks, each
// key is one line, which Reduce keeps; mr-grep-all is then in key order.
//
// Build it with
//
//	go build -buildmode=plugin -o grep.so ./mrapps/grep
package main

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"mapreduce/mr"
)

// WholeFiles asks the engine never to cut an input: line numbers count
// from the start of each file.
var WholeFiles = true

// Map returns the matching lines of contents.
func Map(filename string, contents string) []mr.KeyValue {
	var kvs []mr.KeyValue
	MapEmit(filename, contents, func(k, v string) { kvs = append(kvs, mr.KeyValue{Key: k, Value: v}) })
	return kvs
}

// MapEmit emits each matching line of contents, keyed "file:N".
func MapEmit(filename string, contents string, emit func(key, value string)) {
	re := pattern()
	n := 0
	for len(contents) > 0 {
		n++
		line, rest, _ := strings.Cut(contents, "\n")
		contents = rest
		if re.MatchString(line) {
			emit(filename+":"+strconv.Itoa(n), line)
		}
	}
}

// Reduce keeps the line: a key is one line of one file.
func Reduce(key string, values []string) string { return values[0] }

// compiled caches the job's pattern, compiled: the parameter is the same
// for a whole job, and a worker runs one job's attempts at a time.
var compiled struct {
	sync.Mutex
	src string
	re  *regexp.Regexp
}

// pattern is the job's regular expression; it panics (failing the
// attempt, and the job, with its message) when there is none or it does
// not compile.
func pattern() *regexp.Regexp {
	src := mr.Param("pattern")
	compiled.Lock()
	defer compiled.Unlock()
	if compiled.re != nil && compiled.src == src {
		return compiled.re
	}
	if src == "" {
		panic("grep needs its pattern: -param pattern=REGEXP")
	}
	re, err := regexp.Compile(src)
	if err != nil {
		panic("grep: -param pattern: " + err.Error())
	}
	compiled.src, compiled.re = src, re
	return re
}
