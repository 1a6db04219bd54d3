package mr

import "iter"

// KeyValue is one record emitted by an application's Map function.
type KeyValue struct {
	Key   string
	Value string
}

// The functions a plugin may export, by name. A plugin exports Map and
// Reduce, ReduceSeq or both; MapEmit, Combine and Partition are optional.
type (
	// MapFunc is Map: called once per input file (or once per split of a
	// large one) with the input's name as given to the coordinator and
	// the text of the split (whole lines); it returns the records.
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
	Name      string // the plugin's file name without .so: "wc" for bin/wc.so
	Map       MapFunc
	MapEmit   MapEmitFunc   // optional
	Reduce    ReduceFunc    // Reduce or ReduceSeq, or both
	ReduceSeq ReduceSeqFunc // optional; preferred to Reduce
	Combine   CombineFunc   // optional
	Partition PartitionFunc // optional
}
