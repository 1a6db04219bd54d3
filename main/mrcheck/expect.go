// Facts for mrcheck expect: parsing QUERY[:ARG]=VALUE, != and bounds,
// and checking each against the summary.

package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"mapreduce/internal/protocol"
)

// fact is one claim given to expect: a request's answer equals want (or,
// when negated, differs from it).
type fact struct {
	req    request
	negate bool     // written with != rather than =
	order  string   // ">=" or "<=": a bound on a number rather than an equality
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

// parseFact parses QUERY[:ARG]=VALUE or QUERY[:ARG]!=VALUE, or a bound
// on a number, QUERY[:ARG]>=N or QUERY[:ARG]<=N.
func parseFact(text string) (fact, error) {
	lhs, value, ok := strings.Cut(text, "=")
	if !ok || lhs == "" || value == "" {
		return fact{}, fmt.Errorf("fact %q: want QUERY[:ARG]=VALUE (none for an empty answer)", text)
	}
	var f fact
	lhs, f.negate = strings.CutSuffix(lhs, "!")
	for _, op := range []string{">", "<"} {
		if rest, cut := strings.CutSuffix(lhs, op); cut && !f.negate {
			if _, err := strconv.ParseInt(value, 10, 64); err != nil {
				return fact{}, fmt.Errorf("fact %q: want a number after %s=", text, op)
			}
			lhs, f.order = rest, op+"="
		}
	}
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
	if f.order != "" {
		return f.bound(got)
	}
	equal := slices.Equal(got, f.want)
	switch {
	case f.negate && equal:
		return fmt.Errorf("%s is %s, want anything else", f.req, join(got))
	case !f.negate && !equal:
		return fmt.Errorf("%s is %s, want %s", f.req, join(got), join(f.want))
	}
	return nil
}

// bound says why got breaks the fact's bound on a number, or returns nil.
func (f fact) bound(got []string) error {
	want, _ := strconv.ParseInt(f.want[0], 10, 64)
	var n int64
	var err error
	if len(got) == 1 {
		n, err = strconv.ParseInt(got[0], 10, 64)
	}
	switch {
	case len(got) != 1 || err != nil:
		return fmt.Errorf("%s is %s, not a number", f.req, join(got))
	case f.order == ">=" && n < want, f.order == "<=" && n > want:
		return fmt.Errorf("%s is %d, want %s %d", f.req, n, f.order, want)
	}
	return nil
}
