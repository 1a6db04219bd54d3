// Tests of mrcoordinator as a process (this test binary run again as main):
// bad flags of the job's model are refused in one line.

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain runs the command itself when the test binary is re-run as
// mrcoordinator (runCommand), as groupcache's TestHTTPPool runs its
// children.
func TestMain(m *testing.M) {
	if os.Getenv("MRCOORDINATOR_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCommand runs mrcoordinator with args and returns its exit status
// and standard error.
func runCommand(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MRCOORDINATOR_TEST_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// The job's model refuses bad input in one line, before listening.
func TestModelFlagsRefusedInOneLine(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("a b\n"), 0o644)
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-param", "pattern", in}, `-param "pattern": want NAME=VALUE`},
		{[]string{"-param", "a/b=1", in}, "names are 1 to 64 letters"},
		{[]string{"-total-order", "-nreduce", "0", "-app", "x.so", in}, "-total-order with -nreduce 0"},
		{[]string{"-total-order", in}, "-total-order needs the app's plugin"},
		{[]string{"-nreduce", "-1", in}, "-nreduce -1"},
	} {
		code, stderr := runCommand(t, append([]string{"-addr", "127.0.0.1:0", "-out", out}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want non-zero and one line saying %q", c.args, code, stderr, c.want)
		}
	}
}
