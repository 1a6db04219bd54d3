package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad flags are one line and exit 2, before any plugin is loaded.
func TestBadFlagsAreOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-param", "pattern", "app.so", "in.txt"}, "want NAME=VALUE"},
		{[]string{"-param", "a/b=1", "app.so", "in.txt"}, "names are"},
		{[]string{"-nreduce", "-1", "app.so", "in.txt"}, "-nreduce -1"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and one line saying %q", c.args, code, stderr.String(), c.want)
		}
	}
}

func TestAddParamBoundsTheCount(t *testing.T) {
	p := map[string]string{}
	for i := range 64 {
		if err := addParam(p, "p"+strings.Repeat("x", i)+"=v"); err != nil {
			t.Fatal(err)
		}
	}
	if err := addParam(p, "p=again"); err != nil || p["p"] != "again" {
		t.Fatalf("a parameter given again: %v", err)
	}
	if err := addParam(p, "one=more"); err == nil {
		t.Fatal("a 65th parameter was accepted")
	}
}
