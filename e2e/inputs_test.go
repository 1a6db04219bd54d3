// Tests that every command takes the same inputs by the same rule: files, folders, skipped entries and refusals.

package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// answer runs a command in dir (env on top of this process's) and
// returns its exit status and standard error.
func answer(t *testing.T, dir string, env []string, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), quickExit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s still running after %s", name, quickExit)
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return 0, stderr.String()
}

// A folder holding a text file, a subfolder and a binary: mrcoordinator,
// mrsequential and mrcluster take it by one rule and answer in the same
// lines, at once: the folder's skipped entry, then the refusal of the
// binary (mrcluster before it builds anything, so without root).
func TestInputRuleSameEverywhere(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("alpha beta\n"), 0o644)
	os.WriteFile(filepath.Join(in, "prog"), []byte("\x7fELF\x02\x01\x01\x00rest\n"), 0o755)
	note := "mr: input folder in: skipped sub (a folder: its files are not read)"
	refusal := "mr: input in/prog: not text (a NUL byte at offset 7); if the app reads bytes, give the job -binary"

	status, out := answer(t, dir, nil, filepath.Join(binDir, "mrsequential"), "-o", "ref", filepath.Join(binDir, "wc.so"), "in")
	if want := "mrsequential: " + note + "\nmrsequential: " + refusal + "\n"; status != 1 || out != want {
		t.Errorf("mrsequential: status %d, said %q; want 1 and %q", status, out, want)
	}
	status, out = answer(t, dir, nil, filepath.Join(binDir, "mrcluster"), "in")
	if want := "mrcluster: " + note + "\nmrcluster: " + refusal + "\n"; status != 2 || out != want {
		t.Errorf("mrcluster: status %d, said %q; want 2 and %q", status, out, want)
	}
	status, out = answer(t, dir, nil, filepath.Join(binDir, "mrcoordinator"), "-addr", "127.0.0.1:0", "-out", "out", "in")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if status != 1 || len(lines) != 2 || !strings.Contains(lines[0], `note="`+note+`"`) || lines[1] != "mrcoordinator: "+refusal {
		t.Errorf("mrcoordinator: status %d, said %q; want 1, a line noting %q, then %q", status, out, note, refusal)
	}
}
