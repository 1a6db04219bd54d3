// Tests of the quiet handler: only routine lines at Info are dropped, and
// a log to a file keeps everything.

package quietlog

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Routine Info lines are left out; other Info lines, routine lines at
// another level, and loggers derived with attributes behave as before.
func TestQuietDropsRoutineInfoOnly(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(Quiet(slog.NewTextHandler(&b, nil), "task done"))
	log.Info("task done", "attempt", "map-0.a1")
	log.With("worker", "w1").Info("task done")
	log.Warn("task done", "why", "not routine at WARN")
	log.Info("phase changed", "phase", "reduce")
	out := b.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, `level=WARN msg="task done"`) || !strings.Contains(out, `msg="phase changed"`) {
		t.Fatalf("logged:\n%s", out)
	}
}

// To a file, New leaves nothing out.
func TestNewToAFileKeepsEverything(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	New(f, slog.LevelInfo, "task done").Info("task done")
	if b, _ := os.ReadFile(f.Name()); !strings.Contains(string(b), `msg="task done"`) {
		t.Fatalf("the file holds %q", b)
	}
}
