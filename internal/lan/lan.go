// lan.go: a LAN's namespaces, bridge and links, and its teardown.

package lan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Ports every LAN uses: the coordinator's RPC and HTTP port on host 0,
// and each worker's run-file server.
const (
	CoordPort  = 7000
	WorkerPort = 7100
)

// cmdTimeout bounds every ip or tc command the harness runs.
const cmdTimeout = 30 * time.Second

// seq numbers the LANs this process made, for their names.
var seq atomic.Int64

// Whether /run/netns was there, and mounted, before this process came.
var runNetnsExisted, runNetnsMounted = runNetnsState()

// LAN is a switch and hosts 0..Hosts-1 (see the package comment).
type LAN struct {
	Name   string // the namespaces' prefix, mrlan-<pid>-<n>
	Subnet string // the first three bytes of the addresses, "10.77.0"
	Dir    string // logs, pid files, private mount points and collected outputs
	Hosts  int

	// mu guards procs and rootIf.
	mu     sync.Mutex
	procs  []*Proc
	rootIf string
	closed bool
}

// New builds a LAN of hosts namespaces on subnet ("10.77.0"), keeping its
// files in dir (which it creates). On failure it tears down what it made.
func New(hosts int, subnet, dir string) (*LAN, error) {
	if hosts < 1 || hosts > 200 {
		return nil, fmt.Errorf("lan: %d hosts: want 1 to 200", hosts)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lan: %w", err)
	}
	l := &LAN{Name: fmt.Sprintf("mrlan-%d-%d", os.Getpid(), seq.Add(1)), Subnet: subnet, Dir: dir, Hosts: hosts}
	err := l.up()
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// up makes the switch, then each host.
func (l *LAN) up() error {
	sw := l.Switch()
	steps := [][]string{
		{"netns", "add", sw},
		{"-n", sw, "link", "set", "lo", "up"},
		{"-n", sw, "link", "add", "br0", "type", "bridge"},
		{"-n", sw, "link", "set", "br0", "up"},
	}
	for h := 0; h < l.Hosts; h++ {
		ns, port := l.NS(h), fmt.Sprintf("p%d", h)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"-n", sw, "link", "set", port, "master", "br0"},
			[]string{"-n", sw, "link", "set", port, "up"},
			[]string{"-n", ns, "addr", "add", l.Addr(h) + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"})
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	return nil
}

// Switch is the switch's namespace.
func (l *LAN) Switch() string { return l.Name + "-sw" }

// NS is host h's namespace.
func (l *LAN) NS(h int) string { return fmt.Sprintf("%s-h%d", l.Name, h) }

// Addr is host h's IPv4 address.
func (l *LAN) Addr(h int) string { return fmt.Sprintf("%s.%d", l.Subnet, 10+h) }

// Coord is the coordinator's host:port on host 0.
func (l *LAN) Coord() string { return fmt.Sprintf("%s:%d", l.Addr(0), CoordPort) }

// LinkDown pulls out host h's cable (its port on the switch): it keeps
// its address, and its packets go nowhere until LinkUp.
func (l *LAN) LinkDown(h int) error {
	return ip("-n", l.Switch(), "link", "set", fmt.Sprintf("p%d", h), "down")
}

// LinkUp plugs host h's cable back.
func (l *LAN) LinkUp(h int) error {
	return ip("-n", l.Switch(), "link", "set", fmt.Sprintf("p%d", h), "up")
}

// Limit limits every host's link to rate (tc's units: 100mbit, 1gbit) in
// both directions: a token bucket (tc tbf) on the host's eth0 (what it
// sends) and on its switch port (what it receives).
func (l *LAN) Limit(rate string) error {
	for h := 0; h < l.Hosts; h++ {
		if err := tbf(l.NS(h), "eth0", rate); err != nil {
			return err
		}
		if err := tbf(l.Switch(), fmt.Sprintf("p%d", h), rate); err != nil {
			return err
		}
	}
	return nil
}

// RateRE matches a rate as tc writes it (100mbit, 1gbit, 10mbps).
var RateRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([kmg]?bit|[kmg]?bps)$`)

func tbf(ns, dev, rate string) error {
	out, err := run("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
		"rate", rate, "burst", "256kb", "latency", "100ms")
	if err != nil {
		return fmt.Errorf("lan: tc qdisc ... tbf rate %s on %s of %s: %s", rate, dev, ns, why(out, err))
	}
	return nil
}

// AttachRoot cables this machine's root namespace to the switch: an
// interface mrl-<pid>-<n> with address Subnet.1/24 here, port proot on
// the bridge, so that a browser here reaches the hosts. It returns the
// interface's name; Close deletes it.
func (l *LAN) AttachRoot() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name := "mrl-" + strings.TrimPrefix(l.Name, "mrlan-")
	if err := ip("link", "add", name, "type", "veth", "peer", "name", "proot", "netns", l.Switch()); err != nil {
		return "", err
	}
	l.rootIf = name
	for _, s := range [][]string{
		{"-n", l.Switch(), "link", "set", "proot", "master", "br0"},
		{"-n", l.Switch(), "link", "set", "proot", "up"},
		{"addr", "add", l.Subnet + ".1/24", "dev", name},
		{"link", "set", name, "up"},
	} {
		if err := ip(s...); err != nil {
			return "", err
		}
	}
	return name, nil
}

// Close ends every process of the LAN (TERM, then KILL after 3 s, and
// anything else found in its namespaces), deletes the root namespace's
// cable if any, then the namespaces (which destroys their links and the
// bridge). It returns an error naming what is left of the LAN, if
// anything: a namespace, a process, a mount under Dir. Safe to call twice.
func (l *LAN) Close() error {
	l.mu.Lock()
	procs, rootIf := l.procs, l.rootIf
	l.rootIf, l.closed = "", true
	l.mu.Unlock()
	l.stopAll(procs)
	if rootIf != "" {
		run("ip", "link", "del", rootIf)
	}
	for _, ns := range l.namespaces() {
		run("ip", "netns", "del", ns)
	}
	forgetRunNetns()
	if left := l.leftovers(procs); len(left) > 0 {
		return fmt.Errorf("lan: left behind after teardown: %s", strings.Join(left, ", "))
	}
	return nil
}

// stopAll ends procs and reaps them.
func (l *LAN) stopAll(procs []*Proc) {
	for _, p := range procs {
		p.signalGroup(syscall.SIGTERM)
		p.signalGroup(syscall.SIGCONT)
	}
	deadline := time.Now().Add(3 * time.Second)
	for _, p := range procs {
		p.Wait(time.Until(deadline))
		p.signalGroup(syscall.SIGKILL)
	}
	for _, ns := range l.namespaces() {
		out, _ := run("ip", "netns", "pids", ns)
		for _, f := range strings.Fields(out) {
			var pid int
			if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	for _, p := range procs {
		p.Wait(5 * time.Second)
	}
}

// namespaces lists the LAN's namespaces that exist.
func (l *LAN) namespaces() []string {
	entries, _ := os.ReadDir("/run/netns")
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), l.Name+"-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// leftovers names what is left of the LAN.
func (l *LAN) leftovers(procs []*Proc) []string {
	var left []string
	for _, ns := range l.namespaces() {
		left = append(left, "namespace "+ns)
	}
	for _, p := range procs {
		if !p.Exited() {
			left = append(left, fmt.Sprintf("timeout process %d", p.cmd.Process.Pid))
		}
		if pid := p.knownPid(); pid > 0 && syscall.Kill(pid, 0) == nil {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			left = append(left, fmt.Sprintf("process %d (%.60s)", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), " "+l.Dir+"/") {
		left = append(left, "a mount under "+l.Dir)
	}
	return left
}

// ip runs ip args, its complaint prefixed by what was asked.
func ip(args ...string) error {
	if out, err := run("ip", args...); err != nil {
		return fmt.Errorf("lan: ip %s: %s", strings.Join(args, " "), why(out, err))
	}
	return nil
}

// run runs a command under cmdTimeout and returns its output.
func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func runNetnsState() (existed, mounted bool) {
	if _, err := os.Stat("/run/netns"); err != nil {
		return false, false
	}
	return true, isMountPoint("/run/netns")
}

// isMountPoint reports whether dir is a mount point in this namespace.
func isMountPoint(dir string) bool {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// forgetRunNetns undoes what ip netns add did to /run/netns (made it, and
// a mount point) when it was not so before this process came and no
// namespace is left in it.
func forgetRunNetns() {
	if runNetnsMounted {
		return
	}
	if entries, err := os.ReadDir("/run/netns"); err != nil || len(entries) > 0 {
		return
	}
	if isMountPoint("/run/netns") && syscall.Unmount("/run/netns", 0) != nil {
		return
	}
	if !runNetnsExisted {
		os.Remove("/run/netns")
	}
}

// FreeSubnet is the first 10.77.X (X = 0..255) in which this machine's root
// namespace has no address and no route, so that attaching a LAN there
// changes nothing else.
func FreeSubnet() (string, error) {
	addrs, _ := run("ip", "-4", "-o", "addr", "show")
	routes, _ := run("ip", "-4", "route", "show", "table", "all")
	if s, ok := freeSubnet(addrs + "\n" + routes); ok {
		return s, nil
	}
	return "", errors.New("lan: every 10.77.X.0/24 is in use on this machine")
}

// freeSubnet is the first 10.77.X that used (ip's listings) does not name.
func freeSubnet(used string) (string, bool) {
	for x := 0; x < 256; x++ {
		re := regexp.MustCompile(`(^|[^0-9])10\.77\.` + fmt.Sprint(x) + `\.[0-9]`)
		if !re.MatchString(used) {
			return fmt.Sprintf("10.77.%d", x), true
		}
	}
	return "", false
}

// path is a file of the LAN's directory.
func (l *LAN) path(name string) string { return filepath.Join(l.Dir, name) }

// DataFor is the files (of files, the inputs in order) that worker host h
// of n holds for mode: every input (all), input i on hosts i mod n + 1
// and (i+1) mod n + 1 (spread: each on 2 of n; all of them when n < 3),
// or none.
func DataFor(mode string, n, h int, files []string) []string {
	var held []string
	for i, f := range files {
		if mode == "all" || mode == "spread" && (n < 3 || i%n+1 == h || (i+1)%n+1 == h) {
			held = append(held, f)
		}
	}
	return held
}
