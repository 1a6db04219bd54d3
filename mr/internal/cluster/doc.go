// Package cluster runs in-process clusters for tests: a coordinator and
// workers as goroutines on loopback, with Go functions as the app
// (executor.InProcess). Tests see the job only through the coordinator's
// public views (Status, Summary) and wait on its Changed channel, never
// on sleeps or on another package's fields; the bounds here only limit
// how long a broken run can take.
package cluster
