// Tests of -check: it says what the coordinator says of its inputs.

package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"mapreduce/mr/coordinator"
)

// -check says what the coordinator itself says of its inputs: the
// skipped entries' line, then the refusal, each the coordinator's words.
func TestCheckSaysWhatTheCoordinatorSays(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("alpha\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	var out bytes.Buffer
	cfg := coordinator.DefaultConfig()
	if rc := checkInputs(cfg, []string{dir}, &out); rc != 0 {
		t.Fatalf("a folder of text: exit %d, %q", rc, out.String())
	}
	if want := "mrcoordinator: mr: input folder " + dir + ": skipped sub (a folder: its files are not read)\n"; out.String() != want {
		t.Fatalf("said %q, want %q", out.String(), want)
	}
	os.WriteFile(filepath.Join(dir, "prog"), []byte("\x7fELF\x00"), 0o755)
	out.Reset()
	if rc := checkInputs(cfg, []string{dir}, &out); rc != 1 {
		t.Fatalf("a folder with a binary: exit %d", rc)
	}
	cfg.Addr, cfg.OutDir, cfg.Logger = "127.0.0.1:0", t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := coordinator.New(cfg, []string{dir})
	if err == nil || !bytes.HasSuffix(out.Bytes(), []byte("\nmrcoordinator: "+err.Error()+"\n")) {
		t.Fatalf("-check said %q; the coordinator %v", out.String(), err)
	}
}
