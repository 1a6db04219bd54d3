// Package quietlog is the commands' log handler for a person at a
// terminal: routine lines, one per task (named by their messages), are
// left out at the Info level, so that a coordinator and its workers
// sharing a terminal tell the job's story rather than every task's. With
// -v (the Debug level) or when the log goes to a file, nothing is left
// out: scripts and tests read those lines.
package quietlog

import (
	"context"
	"log/slog"
	"os"
)

// handler drops Info records whose message is routine.
type handler struct {
	slog.Handler
	routine map[string]bool
}

// Handle passes r on unless it is a routine Info line.
func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo && h.routine[r.Message] {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps leaving routine lines out.
func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs), h.routine}
}

// WithGroup keeps leaving routine lines out.
func (h handler) WithGroup(name string) slog.Handler {
	return handler{h.Handler.WithGroup(name), h.routine}
}

// New is a text logger writing to out at level (Debug with -v, else
// Info); when out is a terminal and the level is Info, the Info lines
// whose message is one of routine are left out.
func New(out *os.File, level slog.Level, routine ...string) *slog.Logger {
	var h slog.Handler = slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})
	if level == slog.LevelInfo && isTerminal(out) {
		h = Quiet(h, routine...)
	}
	return slog.New(h)
}

// Quiet wraps h so that Info records with a routine message are dropped.
func Quiet(h slog.Handler, routine ...string) slog.Handler {
	m := make(map[string]bool, len(routine))
	for _, r := range routine {
		m[r] = true
	}
	return handler{h, m}
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
