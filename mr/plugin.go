package mr

import (
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"plugin"
	"strings"
)

// App is a MapReduce application: the functions a plugin exports.
//
// Map is called once per split with the input's name as given to the
// coordinator and the split's contents (whole lines). Reduce is called
// once per distinct key with all of that key's values. Both must be
// deterministic functions of their arguments: a task may run more than
// once, on different machines, and only one run's output is kept.
//
// MapEmit is optional: the same as Map, but handing each record to emit
// as it goes, so the engine need not hold them all at once. When a plugin
// exports it, workers call it instead of Map.
//
// ReduceSeq is optional: the same as Reduce, but reading the key's values
// from an iterator (range over it once) that streams them from the merge,
// so a reducer holds one value at a time however many a key has. When a
// plugin exports it, workers call it instead of Reduce. A plugin must
// export Reduce, ReduceSeq or both.
//
// Combine is optional: if set, the map side calls it on a key's values
// and what it returns replaces them. It may run several times for one key
// in one map task, on consecutive runs of values that may include its own
// earlier results; output must not change whether it runs or not.
//
// Neither Map, MapEmit, Reduce, ReduceSeq nor Combine may keep the values
// slice or iterator it is given after returning.
type App struct {
	Name      string // the plugin's base name without .so: "wc"
	Map       func(filename, contents string) []KeyValue
	MapEmit   func(filename, contents string, emit func(key, value string))
	Reduce    func(key string, values []string) string
	ReduceSeq func(key string, values iter.Seq[string]) string
	Combine   func(key string, values []string) []string
}

// LoadPlugin opens a Go plugin built with -buildmode=plugin and looks up
// its Map, Reduce or ReduceSeq, and optional MapEmit and Combine.
func LoadPlugin(path string) (*App, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("mr: plugin %s: %w", path, unwrapPath(err))
	}
	p, err := plugin.Open(path)
	if err != nil {
		return nil, pluginError(path, err)
	}
	app := &App{Name: AppName(path)}
	if err := lookup(p, path, "Map", &app.Map, true); err != nil {
		return nil, err
	}
	if err := lookup(p, path, "Reduce", &app.Reduce, false); err != nil {
		return nil, err
	}
	if err := lookup(p, path, "ReduceSeq", &app.ReduceSeq, false); err != nil {
		return nil, err
	}
	if app.Reduce == nil && app.ReduceSeq == nil {
		return nil, fmt.Errorf("mr: plugin %s exports neither Reduce nor ReduceSeq", path)
	}
	if err := lookup(p, path, "MapEmit", &app.MapEmit, false); err != nil {
		return nil, err
	}
	if err := lookup(p, path, "Combine", &app.Combine, false); err != nil {
		return nil, err
	}
	return app, nil
}

// AppName is the app's name for a plugin path: "bin/wc.so" is "wc".
func AppName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".so")
}

func lookup[F any](p *plugin.Plugin, path, name string, dst *F, required bool) error {
	sym, err := p.Lookup(name)
	if err != nil {
		if !required {
			return nil
		}
		return fmt.Errorf("mr: plugin %s does not export %s", path, name)
	}
	f, ok := sym.(F)
	if !ok {
		return fmt.Errorf("mr: plugin %s: %s has type %T, want %T", path, name, sym, *dst)
	}
	*dst = f
	return nil
}

// pluginError turns plugin.Open's text into one line saying what to do.
func pluginError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "different version of package"),
		strings.Contains(msg, "built with a different"):
		return fmt.Errorf("mr: plugin %s and this binary were built from different sources or flags "+
			"(e.g. -race on one only); rebuild both with scripts/build.sh (%s)", path, firstLine(msg))
	}
	return fmt.Errorf("mr: plugin %s: %s", path, lastPart(firstLine(msg)))
}

// lastPart drops the "plugin.Open(path): path: " prefixes of an error text.
func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// appError is a failure inside the app's Map, Combine or Reduce (a panic).
type appError struct{ msg string }

func (e *appError) Error() string { return "app: " + e.msg }

// callMap runs the app's map function over one input, passing every
// record to emit, and turns a panic into an appError.
func callMap(app *App, name, contents string, emit func(key, value string)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Map(%s) panicked: %v", name, p)}
		}
	}()
	if app.MapEmit != nil {
		app.MapEmit(name, contents, emit)
		return nil
	}
	for _, kv := range app.Map(name, contents) {
		emit(kv.Key, kv.Value)
	}
	return nil
}

// callReduce calls the app's Reduce, turning a panic into an appError.
func callReduce(f func(string, []string) string, key string, values []string) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Reduce(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}

// callReduceSeq calls the app's ReduceSeq, turning a panic into an appError.
func callReduceSeq(f func(string, iter.Seq[string]) string, key string, values iter.Seq[string]) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Reduce(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}

// callCombine calls the app's Combine, turning a panic into an appError.
func callCombine(f func(string, []string) []string, key string, values []string) (out []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &appError{fmt.Sprintf("Combine(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}
