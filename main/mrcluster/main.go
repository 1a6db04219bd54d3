// Mrcluster runs a MapReduce job on a LAN of its own, made of Linux
// network namespaces, with no file system shared between its processes
// (internal/lan): the coordinator on host 0, one mrworker on each of
// hosts 1..N. It needs root. Run mrcluster -h for its flags; the
// README's scripts/cluster.sh runs it. mrcluster bench (-h for its flags)
// times wc jobs with the data in different places, on links of different
// rates.
//
// Exit status: the coordinator's (0 when the job is done), 1 when a
// worker fails before the job is over or the LAN cannot be built, 2 for
// bad usage, 3 when this machine cannot run it (the reason is printed:
// not root, no ip or unshare, no network namespaces...), 130 and 143 on
// SIGINT and SIGTERM. Every case tears the LAN down.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/lan"
)

const usage = `usage: sudo mrcluster [-workers 3] [-app wc] [-nreduce 10] [-secret]
                     [-secret-file F] [-linger D] [-timeout 300]
                     [-binary] [-link-rate RATE] [-worker-data all|spread|none]
                     [-coordinator-data all|none] [-split-size N]
                     [-keep-logs DIR] [-keep] [-v] inputs...

It builds the LAN, runs the coordinator on host 0 with the inputs and one
mrworker on each of hosts 1..N, waits for the job, copies mr-<app>-all
and mr-<app>-summary.json into the current directory, and tears the LAN
down, also on failure and on Ctrl-C. The job starts only once every
host's worker has joined (mrcoordinator -wait-workers N). This machine
is on the LAN too, as .1, so the coordinator's status page, whose link
is printed, opens in a browser here. The binaries come from mrcluster's
own directory, bin/ (build them first with scripts/build.sh), or from
$LAN_BIN. Exit status: the coordinator's (0 when the job is done), 1
when a worker fails before the job is over, 2 for bad usage, 3 when this
machine cannot run it (the reason is printed: not root, no ip/unshare,
no netns...).

-workers N       worker hosts (default 3)
-app NAME        the plugin NAME.so (default wc)
-nreduce R       reduce tasks (default 10)
-secret          give the job a fresh random secret (every host gets it
                 in its private directory; it is never printed); the
                 status page's link then carries its read-only token
-secret-file F   the same with the secret in F (the engine's -secret-file)
-linger D        keep the coordinator, its status page and the LAN up D
                 after the job (e.g. 2m; Ctrl-C ends it sooner)
-timeout S       seconds allowed to every process (default 300; the
                 coordinator gets -linger's on top)
-binary          accept inputs that are not text (mrcoordinator -binary)
-keep-logs DIR   write the logs (hostH.log; host 0 is the coordinator)
                 into DIR, created if missing, and keep them
-keep            keep the logs' temporary directory and print its path
-v               pass -v to the coordinator and the workers
-link-rate RATE  limit every host's link to RATE (tc's units: 100mbit,
                 1gbit) in both directions: a token bucket (tc tbf) on
                 the host's eth0 and on its port of the switch
-worker-data W   copy the inputs into each worker host's private data/
                 directory and start its worker with -data data: all
                 (every input on every worker), spread (input i on
                 workers i mod N and i+1 mod N: each on 2 of N), none
                 (default: the workers read every input over the LAN)
-split-size N    the coordinator's -split-size (bytes; default its own)
-coordinator-data C  all (default): the coordinator holds the inputs;
                 none: it gets only their manifest (mrmanifest, run
                 here) and plans the job from it (-manifest): then the
                 workers must hold the data (-worker-data all or spread)

Inputs are files or folders, taken by mrcoordinator's rule (it checks
them here first, -check, and its lines are printed as they are: skipped
folder entries, refusals). Host 0's coordinator gets each under the name
mrsequential gets here (in/a.txt), so Map sees the same names; an input
given by an absolute path goes by its base name, and a line says so.
Without -keep-logs or -keep, the logs live in a temporary directory that
is removed at the end if the job succeeded; when it failed, the tail of
every log is printed and the directory is kept (its path printed), as
when it is interrupted before the job is over.

The LAN: a "switch" namespace holds a bridge; host H is a namespace whose
eth0 (address SUBNET.(10+H)/24) is cabled to a port of the bridge. This
machine's root namespace is cabled to it too: an interface mrl-<pid>-<n>
with address SUBNET.1, on the first 10.77.X.0/24 this machine has no
address or route in ($LAN_SUBNET=A.B.C chooses another); that is all it
creates here, besides /run/netns, which ip netns needs. Each process runs
in its host's network namespace and in a mount namespace of its own in
which a fresh tmpfs is its current directory, its only writable place:
nobody else can see its files. Inputs are copied into host 0's tmpfs; the
coordinator's outputs are copied out of it when it exits.

mrcluster bench (-h for more) times wc jobs with the data in different
places, on links of different rates.
`

// usageLine is what a usage error ends with.
const usageLine = "usage: sudo mrcluster [-workers 3] [-app wc] [-nreduce 10] [-secret] [-secret-file F] " +
	"[-linger D] [-timeout 300] [-binary] [-link-rate RATE] [-worker-data all|spread|none] " +
	"[-coordinator-data all|none] [-split-size N] [-keep-logs DIR] [-keep] [-v] inputs... (-h for more)"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bench" {
		os.Exit(bench(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

// run is mrcluster with args; it returns the exit status.
func run(args []string) int {
	o, status := parse(args)
	if status >= 0 {
		return status
	}
	if err := o.prepare(); err != nil {
		return report(err)
	}
	c := &cluster{o: o}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-stop
		what, code := "interrupted", 130
		if sig == syscall.SIGTERM {
			what, code = "terminated", 143
		}
		c.mu.Lock()
		c.stopped = true
		c.mu.Unlock()
		fmt.Fprintf(os.Stderr, "mrcluster: %s\n", what)
		c.cleanup(code)
		os.Exit(code)
	}()
	rc := c.run()
	c.cleanup(rc)
	return rc
}

// report prints err (a usage error: with the usage line) and returns its
// status.
func report(err error) int {
	if err.Error() != "" {
		fmt.Fprintln(os.Stderr, "mrcluster: "+err.Error())
	}
	if _, ok := err.(usageError); ok {
		fmt.Fprintln(os.Stderr, usageLine)
		return 2
	}
	if s, ok := err.(statusError); ok {
		return s.status
	}
	return 1
}

// usageError is bad usage: exit 2 after the usage line.
type usageError string

func (e usageError) Error() string { return string(e) }

// statusError is a failure with its own exit status.
type statusError struct {
	msg    string
	status int
}

func (e statusError) Error() string { return e.msg }

// cluster is one run: the LAN, its processes and what to keep.
type cluster struct {
	o         *options
	net       *lan.LAN
	dir       string // the logs' directory
	secretDir string // holds job.secret, if any
	coord     *lan.Proc
	workers   []*lan.Proc

	// mu guards keep, done and stopped.
	mu      sync.Mutex
	keep    bool
	done    bool // cleaned up
	stopped bool // by a signal: its handler cleans up and exits
}

// waitIfStopped blocks forever once a signal stopped the run, so that
// only the handler speaks and exits.
func (c *cluster) waitIfStopped() {
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if stopped {
		select {}
	}
}

// run builds the LAN, runs the job and collects its outputs; it returns
// the exit status.
func (c *cluster) run() int {
	o := c.o
	if err := c.up(); err != nil {
		return report(err)
	}
	if err := c.startJob(); err != nil {
		return report(err)
	}
	ok := c.follow()
	c.waitIfStopped()
	if !ok {
		return 1
	}
	rc, _ := c.coord.Wait(0)
	for _, line := range tail(c.coord.Output(), 3) {
		fmt.Println("mrcluster: coordinator: " + line)
	}
	for _, f := range []string{"mr-" + o.app + "-all", "mr-" + o.app + "-summary.json"} {
		if err := copyOut(filepath.Join(c.coord.Out, f), f); err == nil {
			fmt.Println("mrcluster: wrote ./" + f)
		}
	}
	// The workers hear Exit from the coordinator; give them a moment.
	for h, w := range c.workers {
		if _, ok := w.Wait(10 * time.Second); !ok {
			fmt.Fprintf(os.Stderr, "mrcluster: worker on host %d still running 10 s after the job; stopping it\n", h+1)
		}
	}
	if rc != 0 {
		if rc == 124 || rc == 137 {
			fmt.Fprintf(os.Stderr, "mrcluster: the coordinator timed out after %ds (-timeout)\n", o.timeout)
		} else {
			fmt.Fprintf(os.Stderr, "mrcluster: the coordinator exited with status %d\n", rc)
		}
		c.showLogs()
		c.setKeep()
	}
	return rc
}

// up makes the secret, the logs' directory and the LAN.
func (c *cluster) up() error {
	o := c.o
	if o.secret || o.secretFile != "" {
		if err := c.writeSecret(); err != nil {
			return err
		}
	}
	subnet := os.Getenv("LAN_SUBNET")
	if subnet == "" {
		var err error
		if subnet, err = lan.FreeSubnet(); err != nil {
			return fmt.Errorf("every 10.77.X.0/24 is in use on this machine; set LAN_SUBNET=A.B.C")
		}
	}
	c.dir = o.logDir
	if c.dir == "" {
		var err error
		if c.dir, err = os.MkdirTemp("", "mrlan."); err != nil {
			return err
		}
	}
	net, err := lan.New(o.workers+1, subnet, c.dir)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.net = net
	c.mu.Unlock()
	fmt.Printf("mrcluster: LAN %s: coordinator %s (host 0), workers on hosts 1..%d (%s..%s)\n",
		net.Name, net.Coord(), o.workers, net.Addr(1), net.Addr(o.workers))
	if o.rate != "" {
		if err := net.Limit(o.rate); err != nil {
			return err
		}
		fmt.Printf("mrcluster: every host's link is limited to %s each way (tc tbf)\n", o.rate)
	}
	if name, err := net.AttachRoot(); err != nil {
		fmt.Fprintf(os.Stderr, "mrcluster: could not cable this machine to the LAN (%v): the status page will not open from here\n", err)
	} else {
		fmt.Printf("mrcluster: this machine is %s.1 on the LAN (%s)\n", subnet, name)
	}
	switch {
	case o.logDir != "":
		fmt.Printf("mrcluster: logs in %s (kept)\n", c.dir)
	case o.keep:
		fmt.Printf("mrcluster: logs in %s (kept: -keep)\n", c.dir)
	default:
		fmt.Println("mrcluster: logs go to a temporary directory, removed at the end if the job succeeds (-keep-logs DIR keeps them)")
	}
	if o.secretFile != "" {
		fmt.Printf("mrcluster: job secret: from %s on every host\n", o.secretFile)
	} else if o.secret {
		fmt.Println("mrcluster: job secret: a fresh random one on every host")
	}
	return nil
}

// writeSecret writes the job's secret, fresh or from -secret-file, to
// job.secret in a private temporary directory.
func (c *cluster) writeSecret() error {
	dir, err := os.MkdirTemp("", "mrcluster-secret.")
	if err != nil {
		return err
	}
	c.secretDir = dir
	var secret []byte
	if c.o.secretFile != "" {
		if secret, err = os.ReadFile(c.o.secretFile); err != nil {
			return fmt.Errorf("cannot read the job secret: %v", err)
		}
	} else {
		b := make([]byte, 32)
		rand.Read(b)
		secret = []byte(base64.StdEncoding.EncodeToString(b) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "job.secret"), secret, 0o600); err != nil {
		return fmt.Errorf("cannot write the job secret: %v", err)
	}
	return nil
}

// secretSpec adds the job secret to a process: its file and its flag.
func (c *cluster) secretSpec(spec *lan.Spec) []string {
	if c.secretDir == "" {
		return nil
	}
	spec.Files["job.secret"] = filepath.Join(c.secretDir, "job.secret")
	return []string{"-secret-file", "job.secret"}
}

// startJob starts the coordinator on host 0, then a worker on every
// other host.
func (c *cluster) startJob() error {
	o := c.o
	spec := lan.Spec{Files: map[string]string{}, Collect: "out", Timeout: time.Duration(o.timeout+o.linger) * time.Second}
	args := []string{o.bin("mrcoordinator"), "-addr", c.net.Coord(), "-out", "out"}
	args = append(args, o.vflag()...)
	args = append(args, c.secretSpec(&spec)...)
	args = append(args, "-nreduce", fmt.Sprint(o.nreduce), "-app", o.app)
	if o.binary {
		args = append(args, "-binary")
	}
	if o.lingerText != "" {
		args = append(args, "-linger", o.lingerText)
	}
	if o.split != "" {
		args = append(args, "-split-size", o.split)
	}
	args = append(args, "-wait-workers", fmt.Sprint(o.workers))
	if o.cdata == "none" {
		manifest := filepath.Join(c.dir, "corpus.manifest")
		cmd := exec.Command(o.bin("mrmanifest"), append([]string{"-o", manifest}, o.inputs...)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("mrmanifest: %v", err)
		}
		spec.Files["corpus.manifest"] = manifest
		args = append(args, "-manifest", "corpus.manifest")
		fmt.Println("mrcluster: the coordinator holds only the inputs' manifest (mrmanifest)")
	} else {
		for name, src := range o.copies {
			spec.Files[name] = src
		}
		args = append(args, o.names...)
	}
	if o.wdata != "none" {
		fmt.Printf("mrcluster: worker data: %s (copies in each worker host's data/, mrworker -data data)\n", o.wdata)
	}
	fmt.Printf("mrcluster: the job starts once all %d workers have joined (mrcoordinator -wait-workers %d)\n", o.workers, o.workers)
	spec.Args = args
	var err error
	if c.coord, err = c.net.Start(0, spec); err != nil {
		return err
	}
	for h := 1; h <= o.workers; h++ {
		w, err := c.net.Start(h, c.workerSpec(h))
		if err != nil {
			return err
		}
		c.workers = append(c.workers, w)
	}
	return nil
}

// workerSpec is host h's mrworker.
func (c *cluster) workerSpec(h int) lan.Spec {
	o := c.o
	spec := lan.Spec{Files: map[string]string{}, Timeout: time.Duration(o.timeout) * time.Second,
		Env: []string{"COORDINATOR_HOST=" + c.net.Coord()}}
	args := []string{o.bin("mrworker"), "-dir", "run", "-listen", fmt.Sprintf(":%d", lan.WorkerPort), "-advertise", c.net.Addr(h)}
	args = append(args, o.vflag()...)
	args = append(args, c.secretSpec(&spec)...)
	if data := lan.DataFor(o.wdata, o.workers, h, o.files); len(data) > 0 {
		for _, f := range data {
			spec.Files["data/"+filepath.Base(f)] = f
		}
		args = append(args, "-data", "data")
	}
	spec.Args = append(args, o.bin(o.app+".so"))
	return spec
}

// setKeep keeps the logs' directory at the end.
func (c *cluster) setKeep() {
	c.mu.Lock()
	c.keep = true
	c.mu.Unlock()
}

// cleanup tears the LAN down once, keeps or removes the logs, and
// removes the secret.
func (c *cluster) cleanup(rc int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	keep := c.keep || c.o.keep || c.o.logDir != ""
	if rc != 0 && c.coord != nil && !strings.Contains(c.coord.Output(), `msg="job done"`) &&
		!strings.Contains(c.coord.Output(), `msg="job over`) {
		keep = true // interrupted before the job was over: keep what tells why
	}
	if c.net != nil {
		if err := c.net.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mrcluster: "+err.Error())
		}
	}
	if c.secretDir != "" {
		os.RemoveAll(c.secretDir)
	}
	switch {
	case c.dir == "":
	case keep:
		fmt.Fprintf(os.Stderr, "mrcluster: logs kept in %s\n", c.dir)
	default:
		os.RemoveAll(c.dir)
	}
}

// copyOut copies a collected output into the current directory (temp +
// rename: it appears only complete).
func copyOut(src, name string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := atomicfile.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, in); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
