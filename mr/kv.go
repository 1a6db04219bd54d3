package mr

// KeyValue is one record emitted by an application's Map function.
type KeyValue struct {
	Key   string
	Value string
}

// ihash picks the reduce partition of a key: ihash(key) % nReduce. It is
// the 32-bit FNV-1a hash of the key (hash/fnv's New32a) with its top bit
// cleared, written out so that it allocates nothing.
func ihash(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h & 0x7fffffff)
}
