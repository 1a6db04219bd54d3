package mr

import "hash/fnv"

// KeyValue is one record emitted by an application's Map function.
type KeyValue struct {
	Key   string
	Value string
}

// ihash picks the reduce partition of a key: ihash(key) % nReduce.
func ihash(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() & 0x7fffffff)
}
