//go:build race

package mr

// raceEnabled: the race detector's runtime rounds small allocations up, so
// tests that compare estimates with the heap allow for it.
const raceEnabled = true
