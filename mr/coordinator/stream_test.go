// stream_test.go: what a streaming job refuses, and the hint it gives.

package coordinator

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

func TestStreamingJobRefusesWhatItCannotRun(t *testing.T) {
	dir := t.TempDir()
	script := writeTestFile(t, dir, "a/map.sh", "cat\n")
	other := writeTestFile(t, dir, "b/map.sh", "cat\n")
	wc := &protocol.Stream{Mapper: "cat", Reducer: "cat"}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"with a plugin", func(c *Config) { c.Stream, c.AppPlugin = wc, "wc.so" }, "a plugin or commands, not both"},
		{"total order", func(c *Config) { c.Stream, c.TotalOrder = wc, true }, "-total-order is not supported"},
		{"no reducer", func(c *Config) { c.Stream = &protocol.Stream{Mapper: "cat"} }, "needs -reducer"},
		{"a reducer of a map-only job", func(c *Config) { c.Stream, c.MapOnly = wc, true }, "a map-only job runs no reducer"},
		{"a combiner of a map-only job", func(c *Config) {
			c.Stream, c.MapOnly = &protocol.Stream{Mapper: "cat", Combiner: "cat"}, true
		}, "combines nothing"},
		{"Hadoop's map-only", func(c *Config) { c.Stream = &protocol.Stream{Mapper: "cat", Reducer: "NONE"} }, "-nreduce 0 here"},
		{"no mapper", func(c *Config) { c.Stream = &protocol.Stream{Reducer: "cat"} }, "needs -mapper"},
		{"files without commands", func(c *Config) { c.StreamFiles = []string{script} }, "give -mapper CMD too"},
		{"two files of one name", func(c *Config) { c.Stream, c.StreamFiles = wc, []string{script, other} }, `two shipped files are named "map.sh"`},
		{"a missing file", func(c *Config) { c.Stream, c.StreamFiles = wc, []string{filepath.Join(dir, "nope")} }, "-file " + filepath.Join(dir, "nope")},
		{"a folder", func(c *Config) { c.Stream, c.StreamFiles = wc, []string{dir} }, "not a regular file"},
	} {
		cfg := DefaultConfig()
		cfg.Addr, cfg.OutDir = "127.0.0.1:0", t.TempDir()
		tc.edit(&cfg)
		_, err := New(cfg, []string{script})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want one line saying %q", tc.name, err, tc.want)
		}
	}
}

// writeTestFile writes contents to dir/name, making its folder.
func writeTestFile(t *testing.T, dir, name, contents string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A streaming job without a secret says the risk, and its hint starts a
// pool worker, which runs commands.
func TestStreamingJobHintsAPoolWorker(t *testing.T) {
	log := newLogBuffer()
	cfg := testConfig(t.TempDir())
	cfg.Stream = &protocol.Stream{Mapper: "cat", Reducer: "cat"}
	cfg.HintAfter = 10 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	c := newTestCoordinator(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	out := log.wait(t, "no worker has joined yet")
	stop()
	<-done
	if !strings.Contains(out, `msg="shipping the app without a job secret`) {
		t.Errorf("no warning of the risk:\n%s", out)
	}
	if want := "bin/mrworker -coordinator " + c.Addr() + " -insecure-accept-code (a pool worker without a secret, which runs any local user's code; this streaming job's commands run there)"; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
}
