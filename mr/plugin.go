// Loading an app from a Go plugin: LoadPlugin looks up each function by
// name and checks its signature, CheckPlugin the path first, AppName names
// the app.

package mr

import (
	"errors"
	"plugin"
	"strings"
	"syscall"
)

// LoadPlugin opens a Go plugin built with -buildmode=plugin from a package
// main that exports Map, and Reduce, ReduceSeq or ReduceEmit (MapEmit,
// Combine, Partition and WholeFiles are optional; see App), and returns
// it as an App named after the file.
// Its errors are one line naming the plugin and what to do.
func LoadPlugin(path string) (*App, error) {
	if err := CheckPlugin(path); err != nil {
		return nil, err
	}
	p, err := plugin.Open(path)
	if err != nil {
		return nil, pluginError(path, err)
	}
	app := &App{Name: AppName(path)}
	for _, err := range []error{
		lookup(p, path, "Map", &app.Map, true),
		lookup(p, path, "Reduce", &app.Reduce, false),
		lookup(p, path, "ReduceSeq", &app.ReduceSeq, false),
		lookup(p, path, "ReduceEmit", &app.ReduceEmit, false),
		lookup(p, path, "MapEmit", &app.MapEmit, false),
		lookup(p, path, "Combine", &app.Combine, false),
		lookup(p, path, "Partition", &app.Partition, false),
		lookupBool(p, path, "WholeFiles", &app.WholeFiles),
	} {
		if err != nil {
			return nil, err
		}
	}
	if app.Reduce == nil && app.ReduceSeq == nil && app.ReduceEmit == nil {
		return nil, errors.New("mr: plugin " + path + " exports none of Reduce, ReduceSeq and ReduceEmit")
	}
	return app, nil
}

// CheckPlugin checks that path names a file, before anything is done
// with it: if not, its error is one line that suggests the plugin meant
// ("mr: plugin wc: no such file or directory (did you mean bin/wc.so?)").
func CheckPlugin(path string) error {
	var st syscall.Stat_t
	err := syscall.Stat(path, &st)
	if err == nil {
		return nil
	}
	msg := "mr: plugin " + path + ": " + err.Error()
	name := AppName(path)
	for _, guess := range []string{name + ".so", "bin/" + name + ".so", "../bin/" + name + ".so"} {
		if guess != path && syscall.Stat(guess, &st) == nil {
			return errors.New(msg + " (did you mean " + guess + "?)")
		}
	}
	return errors.New(msg)
}

// AppName is the app's name for a plugin path: "bin/wc.so" is "wc".
func AppName(path string) string {
	return strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], ".so")
}

// signatures are the functions a plugin may export, as Go writes them.
var signatures = map[string]string{
	"Map":        "func(string, string) []mr.KeyValue",
	"MapEmit":    "func(string, string, func(string, string))",
	"Reduce":     "func(string, []string) string",
	"ReduceSeq":  "func(string, iter.Seq[string]) string",
	"ReduceEmit": "func(string, iter.Seq[string], func(string))",
	"Combine":    "func(string, []string) []string",
	"Partition":  "func(string, int) int",
}

// lookup sets *dst to the function the plugin exports as name, if it
// does, with the type *dst has.
func lookup[F any](p *plugin.Plugin, path, name string, dst *F, required bool) error {
	sym, err := p.Lookup(name)
	if err != nil {
		if !required {
			return nil
		}
		return errors.New("mr: plugin " + path + " does not export " + name)
	}
	f, ok := sym.(F)
	if !ok {
		return errors.New("mr: plugin " + path + ": " + name + " is not a " + signatures[name])
	}
	*dst = f
	return nil
}

// lookupBool sets *dst to the bool variable the plugin exports as name,
// if it does.
func lookupBool(p *plugin.Plugin, path, name string, dst *bool) error {
	sym, err := p.Lookup(name)
	if err != nil {
		return nil
	}
	b, ok := sym.(*bool)
	if !ok {
		return errors.New("mr: plugin " + path + ": " + name + " is not a bool variable (var " + name + " = true)")
	}
	*dst = *b
	return nil
}

// pluginError turns plugin.Open's text into one line saying what to do.
// A plugin links this package and the standard library only, so it loads
// into any binary built by the same Go toolchain, with the same flags,
// from the same source of this package (see doc.go).
func pluginError(path string, err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if strings.Contains(msg, "different version of package") || strings.Contains(msg, "built with a different") {
		return errors.New("mr: plugin " + path + " and this binary were built from different sources of mapreduce/mr, " +
			"another Go toolchain or other flags (e.g. -race on one only); rebuild the plugin with scripts/build.sh (" + msg + ")")
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:] // drop the "plugin.Open(path): path: " prefixes
	}
	return errors.New("mr: plugin " + path + ": " + msg)
}
