// Crash checks that the coordinator survives failing workers.
//
// It computes the same output as nocrash, but at the start of every Map and
// Reduce call the worker exits with probability 1/3, sleeps a random 0 to
// 10 seconds with probability 1/3, and otherwise carries on. A correct
// coordinator reassigns the lost and slow tasks and the output matches
// nocrash's. The crashes and delays are random by design; the output is not.
package main

import (
	"math/rand/v2"
	"os"
	"time"

	"mapreduce/mr"
	"mapreduce/mrapps/internal/nocrashlogic"
)

// Map may crash or stall, then emits nocrash's records.
func Map(filename string, contents string) []mr.KeyValue {
	maybeCrash()
	return nocrashlogic.Map(filename, contents)
}

// Reduce may crash or stall, then returns nocrash's value.
func Reduce(key string, values []string) string {
	maybeCrash()
	return nocrashlogic.Reduce(key, values)
}

// maybeCrash exits the process, sleeps up to 10 s or returns at once, each
// with probability 1/3. math/rand/v2's global source is seeded randomly
// per process, so workers fail independently.
func maybeCrash() {
	switch rand.IntN(3) {
	case 0:
		os.Exit(1)
	case 1:
		time.Sleep(rand.N(10 * time.Second))
	}
}
