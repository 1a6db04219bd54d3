// Param: the job's parameters, as the app reads them: mr.Param(name).

package mr

import "sync/atomic"

// Param is the value of the job's parameter name (mrcoordinator -param
// NAME=VALUE, mrsequential the same), "" when the job has none of that
// name. A job has at most 64 parameters, of at most 4 KiB each. Map, MapEmit, Combine, Reduce and Partition may call it at will:
// a job's parameters are fixed for its whole life, the same on every
// worker, and part of its identity (a journaled job resumed with other
// parameters is refused).
func Param(name string) string {
	if p := params.Load(); p != nil {
		return (*p)[name]
	}
	return ""
}

// params are the running job's parameters, nil when it has none.
var params atomic.Pointer[map[string]string]

// SetParams makes p the parameters Param reads, until the next call: the
// engine sets them before it calls the app for an attempt. Apps do not
// use it. p must not change afterwards.
func SetParams(p map[string]string) {
	if len(p) == 0 {
		params.Store(nil)
		return
	}
	params.Store(&p)
}
