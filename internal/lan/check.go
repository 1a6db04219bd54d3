// check.go: whether this machine can build a LAN, and why not.

package lan

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tools are the commands the harness runs.
var tools = []string{"ip", "unshare", "timeout", "mount", "bash", "cp"}

// Check reports whether this machine can build a LAN: nil, or an error
// saying exactly why not (not root, a command missing, namespaces
// forbidden...). It tries everything once in a throw-away namespace:
// netns, veth, bridge, a tmpfs in a private mount namespace.
func Check() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root for network and mount namespaces (euid is %d); run with sudo", os.Geteuid())
	}
	for _, c := range tools {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s not found (install iproute2, util-linux and coreutils)", c)
		}
	}
	probe := fmt.Sprintf("mrlan-probe-%d", os.Getpid())
	if out, err := run("ip", "netns", "add", probe); err != nil {
		forgetRunNetns()
		return fmt.Errorf("cannot create a network namespace: ip netns add: %s", why(out, err))
	}
	defer forgetRunNetns()
	defer run("ip", "netns", "del", probe)
	mnt, err := os.MkdirTemp("", "mrlan-probe.")
	if err != nil {
		return err
	}
	defer os.Remove(mnt)
	if out, err := run("ip", "-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"); err != nil {
		return fmt.Errorf("cannot create a veth pair: %s", why(out, err))
	}
	if out, err := run("ip", "-n", probe, "link", "add", "probebr", "type", "bridge"); err != nil {
		return fmt.Errorf("cannot create a bridge: %s", why(out, err))
	}
	if out, err := run("ip", "netns", "exec", probe, "unshare", "--mount", "--propagation", "private",
		"mount", "-t", "tmpfs", "-o", "size=1m", "mrlan-probe", mnt); err != nil {
		return fmt.Errorf("cannot mount a tmpfs in a private mount namespace: %s", why(out, err))
	}
	return nil
}

// why is a command's complaint: its output, or its error when silent.
func why(out string, err error) string {
	if s := strings.TrimSpace(out); s != "" {
		return s
	}
	return err.Error()
}
