// Calls into the app's Map, Combine and Reduce, with its panics turned into errors.

package executor

import (
	"fmt"
	"iter"
	"strconv"
	"strings"

	"mapreduce/mr"
)

// AppError is a failure inside the app's Map, Combine or Reduce: a panic,
// or (in a child) an exit, a crash, a hang or too much memory. It counts
// against the task, never against the worker.
type AppError struct{ Msg string }

func (e *AppError) Error() string { return "app: " + e.Msg }

// callMap runs the app's map function over one input, passing every
// record to emit (MapEmit if the app has it, else Map), and turns a panic
// into an *AppError.
func callMap(app *mr.App, name, contents string, emit func(key, value string)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Map(%s) panicked: %v", name, p)}
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

// callReduce calls the app's Reduce, turning a panic into an *AppError.
func callReduce(f mr.ReduceFunc, key string, values []string) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Reduce(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}

// callReduceSeq calls the app's ReduceSeq, turning a panic into an *AppError.
func callReduceSeq(f mr.ReduceSeqFunc, key string, values iter.Seq[string]) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Reduce(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}

// callReduceEmit calls the app's ReduceEmit, passing each value it emits
// to write until write fails, and turns a panic into an *AppError.
func callReduceEmit(f mr.ReduceEmitFunc, key string, values iter.Seq[string], write func(key, value string) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Reduce(%q) panicked: %v", key, p)}
		}
	}()
	var werr error
	f(key, values, func(v string) {
		if werr == nil {
			werr = write(key, v)
		}
	})
	return werr
}

// reduceSeq calls the app's ReduceEmit, or else its ReduceSeq, on one
// key, and writes the output lines.
func reduceSeq(app *mr.App, key string, values iter.Seq[string], write func(key, value string) error) error {
	if app.ReduceEmit != nil {
		return callReduceEmit(app.ReduceEmit, key, values, write)
	}
	v, err := callReduceSeq(app.ReduceSeq, key, values)
	if err != nil {
		return err
	}
	return write(key, v)
}

// lineChecked wraps write so that an output line that would not stay one
// line ("key value\n" with a newline in the key or the value) is refused
// as the app's failure, naming the key, and never written.
func lineChecked(write func(key, value string) error) func(key, value string) error {
	return func(key, value string) error {
		switch {
		case strings.IndexByte(key, '\n') >= 0:
			return &AppError{fmt.Sprintf("the key %s holds a newline: an output line is \"key value\" and must stay one line "+
				"(escape it, e.g. with strconv.Quote, or leave it out)", quoteKey(key))}
		case strings.IndexByte(value, '\n') >= 0:
			return &AppError{fmt.Sprintf("Reduce(%s) returned a value holding a newline: an output line is \"key value\" "+
				"and must stay one line (escape it, e.g. with strconv.Quote, or leave it out)", quoteKey(key))}
		}
		return write(key, value)
	}
}

// quoteKey is a key as an error names it: quoted, at most 80 bytes of it.
func quoteKey(key string) string {
	if len(key) > 80 {
		return strconv.Quote(key[:80]) + "…"
	}
	return strconv.Quote(key)
}

// callCombine calls the app's Combine, turning a panic into an *AppError.
func callCombine(f mr.CombineFunc, key string, values []string) (out []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Combine(%q) panicked: %v", key, p)}
		}
	}()
	return f(key, values), nil
}

// callPartition calls the app's Partition, turning a panic, or a result
// outside [0, n), into an *AppError naming the key.
func callPartition(f mr.PartitionFunc, key string, n int) (r int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &AppError{fmt.Sprintf("Partition(%q, %d) panicked: %v", key, n, p)}
		}
	}()
	r = f(key, n)
	if r < 0 || r >= n {
		return 0, &AppError{fmt.Sprintf("Partition(%q, %d) returned %d, outside [0, %d)", key, n, r, n)}
	}
	return r, nil
}
