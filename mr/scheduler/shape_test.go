// The scheduler's shape: what it may link.

package scheduler

import (
	"os/exec"
	"strings"
	"testing"
)

// The scheduler is the coordinator's pure state machine: it must link no
// network, RPC or process code, directly or through what it imports (the
// wire's types live in internal/protocol, the code that carries them in
// internal/wire).
func TestSchedulerLinksNoNetwork(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "net", "net/http", "net/rpc", "os/exec", "mapreduce/internal/wire", "mapreduce/internal/auth":
			t.Errorf("the scheduler links %s", dep)
		}
	}
}
