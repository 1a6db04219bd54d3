package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"mapreduce/internal/protocol"
)

// fact is one claim given to expect: a request's answer equals want (or,
// when negated, differs from it).
type fact struct {
	req    request
	negate bool     // written with != rather than =
	want   []string // nil for none
}

// parseFacts parses every fact of expect's command line.
func parseFacts(args []string) ([]fact, error) {
	if len(args) == 0 {
		return nil, errors.New("expect needs at least one fact, QUERY[:ARG]=VALUE")
	}
	facts := make([]fact, 0, len(args))
	for _, a := range args {
		f, err := parseFact(a)
		if err != nil {
			return nil, err
		}
		facts = append(facts, f)
	}
	return facts, nil
}

// parseFact parses QUERY[:ARG]=VALUE or QUERY[:ARG]!=VALUE.
func parseFact(text string) (fact, error) {
	lhs, value, ok := strings.Cut(text, "=")
	if !ok || lhs == "" || value == "" {
		return fact{}, fmt.Errorf("fact %q: want QUERY[:ARG]=VALUE (none for an empty answer)", text)
	}
	var f fact
	lhs, f.negate = strings.CutSuffix(lhs, "!")
	name, arg, hasArg := strings.Cut(lhs, ":")
	var args []string
	if hasArg {
		args = []string{arg}
	}
	req, err := newRequest(name, args)
	if err != nil {
		return fact{}, fmt.Errorf("fact %q: %w", text, err)
	}
	f.req = req
	if value != "none" {
		f.want = strings.Split(value, ",")
	}
	return f, nil
}

// expect checks every fact. A fact naming something the summary lacks is
// an error even when an earlier fact is false, so that a typo in a script
// shows at once; otherwise the first false fact is the reason.
func expect(s *protocol.Summary, facts []fact) (int, error) {
	var falsehood error
	for _, f := range facts {
		got, err := f.req.answer(s)
		if err != nil {
			return exitError, err
		}
		if falsehood == nil {
			falsehood = f.compare(got)
		}
	}
	if falsehood != nil {
		return exitFalse, falsehood
	}
	return exitOK, nil
}

// compare says why got makes the fact false, or returns nil.
func (f fact) compare(got []string) error {
	equal := slices.Equal(got, f.want)
	switch {
	case f.negate && equal:
		return fmt.Errorf("%s is %s, want anything else", f.req, join(got))
	case !f.negate && !equal:
		return fmt.Errorf("%s is %s, want %s", f.req, join(got), join(f.want))
	}
	return nil
}
