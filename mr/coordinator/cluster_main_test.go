// TestMain: the test binary is also the pool workers' app process.

package coordinator_test

import (
	"os"
	"testing"
)

// The test binary is also the app's process of the pool workers of
// pool_test.go: run with poolChildArg and a plugin's path, it serves the
// app that plugin describes on file descriptors 3 and 4, and exits.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == poolChildArg {
		os.Exit(servePoolChild(os.Args[2]))
	}
	os.Exit(m.Run())
}
