// The app's side of the contract: KeyValue, the signatures of the functions
// a plugin may export, and App, what the engine runs.

package mr

import "iter"

// KeyValue is one record emitted by an application's Map function.
type KeyValue struct {
	Key   string
	Value string
}

// The functions a plugin may export, by name. A plugin exports Map and
// one or more of Reduce, ReduceSeq and ReduceEmit; MapEmit, Combine and
// Partition are optional. A key or an output value may not hold a
// newline: an output line is "key value", and one that would break is
// refused as the app's failure, naming the key.
type (
	// MapFunc is Map: called once per split, with the input's name as
	// given to the coordinator and the split's text (whole lines): a file
	// larger than the split size is several splits, so Map sees a part of
	// it, unless the plugin exports WholeFiles = true. It returns the
	// records.
	MapFunc = func(filename, contents string) []KeyValue
	// MapEmitFunc is MapEmit: Map handing each record to emit as it goes,
	// so the engine need not hold them all at once. When a plugin exports
	// it, the engine calls it instead of Map (which must still exist).
	MapEmitFunc = func(filename, contents string, emit func(key, value string))
	// ReduceFunc is Reduce: called once per distinct key with all of that
	// key's values, in the order the maps emitted them; it returns the
	// key's output value.
	ReduceFunc = func(key string, values []string) string
	// ReduceSeqFunc is ReduceSeq: Reduce reading the key's values from an
	// iterator that streams them from the merge (range over it once), so a
	// reducer holds one value at a time however many a key has. When a
	// plugin exports it, the engine calls it instead of Reduce.
	ReduceSeqFunc = func(key string, values iter.Seq[string]) string
	// ReduceEmitFunc is ReduceEmit: Reduce writing any number of output
	// lines for the key, each emit(value) a line "key value", in order:
	// none leaves the key out (a filter), several give the key several
	// lines. It reads the values as ReduceSeq does. When a plugin exports
	// it, the engine calls it instead of ReduceSeq and Reduce (which it
	// then need not export).
	ReduceEmitFunc = func(key string, values iter.Seq[string], emit func(value string))
	// CombineFunc is Combine: the map side calls it on some of a key's
	// values and what it returns replaces them. It may run several times
	// for one key in one map task, on consecutive values that may include
	// its own earlier results, or not at all: the output must not change
	// whether it runs or not.
	CombineFunc = func(key string, values []string) []string
	// PartitionFunc is Partition: the reduce task, in [0, nreduce), that
	// key goes to. Without it, a key goes to the task its hash picks. A
	// result out of range, or a panic, fails the attempt as the app's
	// fault. Each mr-out-Y then holds exactly the keys sent to Y.
	PartitionFunc = func(key string, nreduce int) int
)

// App is a MapReduce application: the functions its plugin exports, and
// its name.
//
// Map and Reduce (and MapEmit, ReduceSeq, Combine) must be deterministic
// functions of their arguments: a task may run more than once, on
// different machines, and only one run's output is kept. None of them may
// keep the values slice or iterator it is given after returning.
type App struct {
	Name       string // the plugin's file name without .so: "wc" for bin/wc.so
	Map        MapFunc
	MapEmit    MapEmitFunc    // optional
	Reduce     ReduceFunc     // one of Reduce, ReduceSeq and ReduceEmit at least
	ReduceSeq  ReduceSeqFunc  // optional; preferred to Reduce
	ReduceEmit ReduceEmitFunc // optional; preferred to ReduceSeq and Reduce
	Combine    CombineFunc    // optional
	Partition  PartitionFunc  // optional

	// WholeFiles is the plugin's exported variable WholeFiles, if it has
	// one (var WholeFiles = true): the app needs each input whole, so the
	// engine never cuts a file into splits (as Hadoop's isSplitable() ==
	// false). The coordinator reads it from the plugin's file, without
	// loading it, so it must be set where it is declared, not in init.
	WholeFiles bool
}
