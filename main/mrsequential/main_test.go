// Tests of mrsequential: inputs taken by the coordinator's rule, one-line
// refusals of bad inputs and flags, bounded -param, and a streaming
// job's reference.

package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"mapreduce/mr/coordinator"
)

// answers is what mrsequential says about args (its stderr) and what
// mrcoordinator's coordinator.New says: its log and its error.
func answers(t *testing.T, args ...string) (seq string, coordLog string, coordErr error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if rc := run(append([]string{"-o", filepath.Join(t.TempDir(), "out"), os.Args[0]}, args...), &stdout, &stderr); rc != 1 {
		t.Fatalf("mrsequential %v: exit %d, want 1 (%s)", args, rc, stderr.String())
	}
	var log bytes.Buffer
	cfg := coordinator.Config{Addr: "127.0.0.1:0", OutDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	c, err := coordinator.New(cfg, args)
	if err == nil {
		t.Fatalf("coordinator.New(%v) accepted them", args)
		_ = c
	}
	return stderr.String(), log.String(), err
}

// A folder with a subfolder, a pipe and a binary: mrsequential and the
// coordinator name the skipped entries in the same one line, and refuse
// the binary in the same one line.
func TestInputsByTheCoordinatorsRule(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("alpha\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "prog"), []byte("\x7fELF\x02\x01\x01\x00rest"), 0o755)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	seq, log, err := answers(t, dir)
	note := "mr: input folder " + dir + ": skipped fifo (a named pipe), sub (a folder: its files are not read)"
	refusal := "mr: input " + filepath.Join(dir, "prog") + ": not text (a NUL byte at offset 7); if the app reads bytes, give the job -binary"
	if want := "mrsequential: " + note + "\nmrsequential: " + refusal + "\n"; seq != want {
		t.Fatalf("mrsequential said\n%s\nwant\n%s", seq, want)
	}
	if err.Error() != refusal || strings.Count(log, "\n") != 1 || !strings.Contains(log, note) {
		t.Fatalf("the coordinator said %q, logged %q; want %q and one line holding %q", err, log, refusal, note)
	}
}

// Missing inputs and folders of nothing get the coordinator's line too.
func TestBadInputsSameLine(t *testing.T) {
	empty := t.TempDir()
	for _, arg := range []string{filepath.Join(empty, "missing.txt"), empty} {
		seq, _, err := answers(t, arg)
		if want := "mrsequential: " + err.Error() + "\n"; seq != want {
			t.Errorf("%s: mrsequential said %q, the coordinator %q", arg, seq, err)
		}
	}
}

// Bad usage exits 2 with the usage line.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"app.so"}, {"-split-size", "-1", "app.so", "in"}, {"-nope"}} {
		var stdout, stderr bytes.Buffer
		if rc := run(args, &stdout, &stderr); rc != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("mrsequential %v: exit %d, %q; want 2 and one line", args, rc, stderr.String())
		}
	}
}

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

// A streaming job's reference: the mapper's lines split at their first
// TAB, sorted, the reducer's lines the output; a streaming flag without
// -mapper is one line, exit 2.
func TestStreamingReference(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte("b 1\na 2\nb 3\n"), 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	args := []string{"-o", out, "-mapper", `tr ' ' '\t'`, "-reducer", "cat", in}
	if rc := run(args, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	if got, _ := os.ReadFile(out); string(got) != "a 2\nb 1\nb 3\n" {
		t.Fatalf("output %q", got)
	}
	stderr.Reset()
	if rc := run([]string{"-reducer", "cat", in}, &stdout, &stderr); rc != 2 || strings.Count(stderr.String(), "\n") != 1 ||
		!strings.Contains(stderr.String(), "needs -mapper") {
		t.Fatalf("-reducer alone: exit %d, %q", rc, stderr.String())
	}
}
