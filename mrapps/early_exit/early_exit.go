// Early_exit checks that no worker exits while some task is still running.
//
// Map emits (filename, "1"); Reduce returns the number of values, that is
// how many map tasks read that input. Reduce sleeps three seconds for keys
// whose FNV-1a 32-bit hash is even, so some reduce tasks finish well after
// others; a worker or coordinator that exits as soon as the first ones are
// done leaves an incomplete output. The output itself is deterministic.
package main

import (
	"hash/fnv"
	"strconv"
	"time"

	"mapreduce/mr"
)

// Map emits (filename, "1").
func Map(filename string, contents string) []mr.KeyValue {
	return []mr.KeyValue{{Key: filename, Value: "1"}}
}

// Reduce returns the number of values of key, after a pause for keys with
// an even hash.
func Reduce(key string, values []string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	if h.Sum32()%2 == 0 {
		time.Sleep(3 * time.Second)
	}
	return strconv.Itoa(len(values))
}
