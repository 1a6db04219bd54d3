package executor

import (
	"fmt"
	"iter"

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
