// Pool workers (worker.Pool) on real processes: the app's process of
// each job is this test binary run again (TestMain, poolChildArg), and
// the "plugin" a coordinator ships is a small file describing the app
// that process serves: word count, some of whose calls may wait at a
// gate the test opens. Its bytes matter to the engine only for their
// SHA-256, by which the pool keeps it; a file that does not describe one
// is loaded as a real plugin, as mrworker -executor does.

package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/executor"
	"mapreduce/mr/worker"
)

// poolChildArg, first on its command line, makes this test binary the
// app's process of a pool worker (see TestMain).
const poolChildArg = "-mr-test-pool-child"

// appProcessStarted is what each app's process says first, on its
// standard error, which goes to its pool worker's log.
const appProcessStarted = "mr-test: the app's process started"

// testPluginMagic starts a file that describes a testPlugin.
const testPluginMagic = "mr-test-plugin\n"

// testPlugin stands for an app's plugin: word count, whose Map calls
// (MapWaits) and Reduce of one key (ReduceWaits) wait at the gate at
// Gate until it opens.
type testPlugin struct {
	Gate        string `json:",omitempty"`
	MapWaits    bool   `json:",omitempty"`
	ReduceWaits string `json:",omitempty"`
	Tag         string // tells apart plugins otherwise the same
}

// writePlugin writes p as a plugin file at path and returns path.
func writePlugin(t *testing.T, path string, p testPlugin) string {
	t.Helper()
	if p.Tag == "" {
		p.Tag = t.Name() + "/" + filepath.Base(path)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	return WriteFile(t, filepath.Dir(path), filepath.Base(path), testPluginMagic+string(b))
}

// app is the app p describes.
func (p testPlugin) app() *mr.App {
	app := WordCount()
	mapFn, reduceFn := app.Map, app.Reduce
	if p.MapWaits {
		app.Map = func(name, contents string) []mr.KeyValue {
			waitAtGate(p.Gate)
			return mapFn(name, contents)
		}
	}
	if p.ReduceWaits != "" {
		app.Reduce = func(key string, values []string) string {
			if key == p.ReduceWaits {
				waitAtGate(p.Gate)
			}
			return reduceFn(key, values)
		}
	}
	return app
}

// servePoolChild is the app's process for the plugin at path: it serves
// the app a test plugin describes, or loads any other file as a plugin.
// It returns the process's exit status.
func servePoolChild(path string) int {
	fmt.Fprintln(os.Stderr, appProcessStarted)
	in, out := os.NewFile(3, "tasks"), os.NewFile(4, "results")
	var err error
	b, rerr := os.ReadFile(path)
	if path == "" { // a streaming job's, as mrworker -executor "" is
		err = executor.ServeStream(in, out)
	} else if rest, ok := bytes.CutPrefix(b, []byte(testPluginMagic)); rerr == nil && ok {
		var p testPlugin
		if err = json.Unmarshal(rest, &p); err == nil {
			err = executor.ServeApp(p.app(), in, out)
		}
	} else {
		err = executor.ServeChild(path, in, out) // as mrworker -executor does
	}
	switch {
	case errors.Is(err, executor.ErrNotLoaded):
		return 1 // the worker says why
	case err != nil:
		fmt.Fprintln(os.Stderr, "the app's process:", err)
		return 2
	}
	return 0
}

// waitAtGate returns once the gate at addr opens (or is gone).
func waitAtGate(addr string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	io.Copy(io.Discard, conn)
	conn.Close()
}

// gate holds the app's calls that wait at it (in other processes) until
// it opens: each holds a connection to it, which it closes then.
type gate struct {
	bell
	ln   net.Listener
	open chan struct{}
	once sync.Once

	mu      sync.Mutex // guards arrived
	arrived int        // calls that came to the gate
}

func newGate(t *testing.T) *gate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, open: make(chan struct{})}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			g.arrived++
			g.mu.Unlock()
			g.ring()
			go func() {
				<-g.open
				conn.Close()
			}()
		}
	}()
	t.Cleanup(func() { g.release(); ln.Close() })
	return g
}

func (g *gate) addr() string { return g.ln.Addr().String() }

// waitArrived waits until n calls came to the gate.
func (g *gate) waitArrived(t *testing.T, n int) {
	t.Helper()
	g.wait(t, fmt.Sprintf("%d calls at the gate", n), func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.arrived >= n
	})
}

// release opens the gate, for good.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// bell rings at every change of what it guards; wait waits for a
// condition on it, within a bound.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *bell) ring() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
	}
	b.ch = make(chan struct{})
	b.mu.Unlock()
}

func (b *bell) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		b.mu.Lock()
		if b.ch == nil {
			b.ch = make(chan struct{})
		}
		ch := b.ch
		b.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// logBook is a log that may be written, read and waited on concurrently.
type logBook struct {
	bell
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBook) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	l.ring()
	return len(p), nil
}

func (l *logBook) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count counts the lines holding s.
func (l *logBook) count(s string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// waitLines waits until n lines hold s.
func (l *logBook) waitLines(t *testing.T, s string, n int) {
	t.Helper()
	l.wait(t, fmt.Sprintf("%d log lines holding %q", n, s), func() bool { return l.count(s) >= n })
}

// testPool is a pool worker running, its log (its app's processes'
// output too), and how many times it made its app's process's command:
// once per job it runs (its app's process is started from it, and
// started again after a death).
type testPool struct {
	name     string
	dir      string
	log      *logBook
	commands atomic.Int32
	cancel   context.CancelFunc
	done     chan struct{} // closed when Run returned, err
	err      error
}

// startPool starts a pool worker waiting for jobs at addr, in dir.
func startPool(t *testing.T, name, addr string, secret []byte, dir string) *testPool {
	t.Helper()
	return startPoolListening(t, name, addr, secret, dir, "127.0.0.1:0")
}

// startPoolListening is startPool with its run-file server at listen.
func startPoolListening(t *testing.T, name, addr string, secret []byte, dir, listen string) *testPool {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tp := &testPool{name: name, dir: dir, log: &logBook{}, done: make(chan struct{})}
	var w io.Writer = tp.log
	if testing.Verbose() {
		w = io.MultiWriter(tp.log, prefixed{name + ": ", os.Stderr})
	}
	cfg := worker.Config{Coordinator: addr, Listen: listen, Dir: dir, LostAfter: 2 * time.Second, Secret: secret, Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	p, err := worker.NewPool(cfg, worker.PoolConfig{}, func(plugin string) []string {
		tp.commands.Add(1)
		return []string{exe, poolChildArg, plugin}
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tp.cancel = cancel
	go func() {
		tp.err = p.Run(ctx)
		close(tp.done)
	}()
	t.Cleanup(func() {
		if err := tp.stop(); err != nil {
			t.Errorf("pool worker %s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("pool worker %s's log:\n%s", name, tp.log)
		}
	})
	return tp
}

// stop ends the pool worker and returns what its Run returned.
func (tp *testPool) stop() error {
	tp.cancel()
	select {
	case <-tp.done:
		return tp.err
	case <-time.After(10 * time.Second):
		return errors.New("Run did not return within 10 s of its context's end")
	}
}

// processes counts the app's processes it started.
func (tp *testPool) processes() int { return tp.log.count(appProcessStarted) }

// running reports whether the pool worker's Run has not returned.
func (tp *testPool) running() bool {
	select {
	case <-tp.done:
		return false
	default:
		return true
	}
}

// prefixed writes to w, each write prefixed.
type prefixed struct {
	prefix string
	w      io.Writer
}

func (p prefixed) Write(b []byte) (int, error) {
	p.w.Write(append([]byte(p.prefix), b...))
	return len(b), nil
}

// startJob starts a coordinator with cfg over inputs, of app (named as
// its plugin is); cancelling the context stops it.
func startJob(t *testing.T, cfg coordinator.Config, inputs []string, app *mr.App) (*Cluster, context.CancelFunc) {
	t.Helper()
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	cl := &Cluster{T: t, C: c, App: app, Out: cfg.OutDir, result: make(chan error, 1)}
	go func() { cl.result <- c.Run(ctx) }()
	t.Cleanup(stop)
	return cl, stop
}

// wordCount is WordCount named as an app's plugin is.
func wordCount(name string) *mr.App {
	app := WordCount()
	app.Name = name
	return app
}

// poolConfig is a coordinator of a test cluster shipping plugin to pool
// workers, with the job secret.
func poolConfig(t *testing.T, plugin string, secret []byte) coordinator.Config {
	cfg := Config(t.TempDir())
	cfg.AppPlugin, cfg.Secret = plugin, secret
	return cfg
}

// runningOn is the set of workers running an attempt.
func runningOn(sum protocol.Summary) map[string]bool {
	on := make(map[string]bool)
	for _, ts := range sum.Tasks {
		for _, a := range ts.Attempts {
			if a.Outcome == "running" {
				on[a.Worker] = true
			}
		}
	}
	return on
}

// Two pool workers started once serve a job, then another job of another
// app (another plugin) at the same address: both outputs are
// mrsequential's, each worker registers as a pool member that served one
// job before the second, fetches each plugin once, and both still run
// until their contexts end, when Run returns nil.
func TestPoolServesJobAfterJob(t *testing.T) {
	inputs := Inputs(t, 3)
	secret := []byte("pool-test-secret")
	cfg := poolConfig(t, writePlugin(t, filepath.Join(t.TempDir(), "a", "wc.so"), testPlugin{}), secret)
	cfg.WaitWorkers = 2 // each job is both workers'
	job1, _ := startJob(t, cfg, inputs, wordCount("wc"))
	pools := []*testPool{
		startPool(t, "p1", job1.C.Addr(), secret, t.TempDir()),
		startPool(t, "p2", job1.C.Addr(), secret, t.TempDir()),
	}
	if err := job1.Wait(); err != nil {
		t.Fatal(err)
	}
	job1.CheckOutput(inputs)
	sum1 := job1.SummaryFile()
	if len(sum1.Workers) != 2 {
		t.Fatalf("the first job's workers: %+v", sum1.Workers)
	}
	for _, w := range sum1.Workers {
		if !w.Pool || w.Jobs != 0 {
			t.Errorf("the first job's worker %s: pool %v, jobs before %d; want a pool member with none", w.ID, w.Pool, w.Jobs)
		}
	}
	for _, p := range pools { // both heard the end: the next coordinator meets no worker of this job
		p.log.waitLines(t, `msg="job over; waiting for the next" job=`, 1)
	}

	cfg2 := poolConfig(t, writePlugin(t, filepath.Join(t.TempDir(), "b", "count.so"), testPlugin{}), secret)
	cfg2.Addr, cfg2.WaitWorkers = job1.C.Addr(), 2
	job2, _ := startJob(t, cfg2, inputs, wordCount("count"))
	if err := job2.Wait(); err != nil {
		t.Fatal(err)
	}
	job2.CheckOutput(inputs)
	sum2 := job2.SummaryFile()
	if sum2.App != "count" || sum2.AppBuild == sum1.AppBuild || len(sum2.AppBuild) != 64 {
		t.Fatalf("the second job: app %q, build %q (the first's %q)", sum2.App, sum2.AppBuild, sum1.AppBuild)
	}
	if len(sum2.Workers) != 2 {
		t.Fatalf("the second job's workers: %+v", sum2.Workers)
	}
	for _, w := range sum2.Workers {
		if !w.Pool || w.Jobs != 1 {
			t.Errorf("the second job's worker %s: pool %v, jobs before %d; want a pool member with 1", w.ID, w.Pool, w.Jobs)
		}
	}
	for _, p := range pools {
		p.log.waitLines(t, `msg="job over; waiting for the next" job=`, 2)
		log := p.log.String()
		for _, want := range []string{"jobs_served_before=0", "jobs_served_before=1", "jobs_served=1", "jobs_served=2"} {
			if !strings.Contains(log, want) {
				t.Errorf("pool worker %s's log has no %s", p.name, want)
			}
		}
		if n := p.log.count(`msg="app's plugin received"`); n != 2 {
			t.Errorf("pool worker %s received %d plugins, want 2", p.name, n)
		}
		if c, n := p.commands.Load(), p.processes(); c != 2 || n != 2 {
			t.Errorf("pool worker %s made its app's command %d times and started %d app's processes, want 2 and 2", p.name, c, n)
		}
		if !p.running() {
			t.Errorf("pool worker %s returned after the jobs: %v", p.name, p.err)
		}
		if apps, _ := filepath.Glob(filepath.Join(p.dir, "apps", "*.so")); len(apps) != 2 {
			t.Errorf("pool worker %s keeps %v", p.name, apps)
		}
	}
	for _, p := range pools {
		if err := p.stop(); err != nil {
			t.Errorf("pool worker %s: Run returned %v", p.name, err)
		}
	}
}

// A pool worker stopped while it runs a map (its context ends: Run
// returns nil) and started again on the same directory joins the job
// again without fetching the plugin, which it kept by its SHA-256; the
// job finishes with mrsequential's output.
func TestPoolWorkerRestartedMidJob(t *testing.T) {
	inputs := Inputs(t, 4)
	secret := []byte("pool-test-secret")
	g := newGate(t)
	cfg := poolConfig(t, writePlugin(t, filepath.Join(t.TempDir(), "wc.so"), testPlugin{Gate: g.addr(), MapWaits: true}), secret)
	job, _ := startJob(t, cfg, inputs, wordCount("wc"))
	dir := t.TempDir()
	p1 := startPool(t, "p1", job.C.Addr(), secret, dir)
	p2 := startPool(t, "p2", job.C.Addr(), secret, t.TempDir())
	job.WaitFor("both pool workers mapping", func(sum protocol.Summary) bool { return len(runningOn(sum)) == 2 })
	g.waitArrived(t, 2) // both app's processes are in Map
	sum := job.C.Summary()
	plugin := filepath.Join(dir, "apps", sum.AppBuild+".so")
	before, err := os.Stat(plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := p1.stop(); err != nil {
		t.Fatalf("the stopped pool worker's Run returned %v", err)
	}
	if n := p1.log.count(`msg="app's plugin received"`); n != 1 {
		t.Fatalf("the first pool worker received the plugin %d times", n)
	}

	p3 := startPool(t, "p1-again", job.C.Addr(), secret, dir)
	job.WaitFor("the restarted pool worker registered", func(sum protocol.Summary) bool { return len(sum.Workers) == 3 })
	g.release()
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	job.CheckOutput(inputs)
	if n := p3.log.count(`msg="app's plugin received"`); n != 0 {
		t.Errorf("the restarted pool worker fetched the plugin again")
	}
	if n := p3.log.count(`msg="job joined"`); n != 1 {
		t.Errorf("the restarted pool worker joined %d times", n)
	}
	if c, n := p3.commands.Load(), p3.processes(); c != 1 || n != 1 {
		t.Errorf("the restarted pool worker made its app's command %d times and started %d app's processes, want 1 and 1", c, n)
	}
	after, err := os.Stat(plugin)
	if err != nil {
		t.Fatal(err)
	}
	// Its time is its last use (apps/ evicts by it); a plugin written
	// again would be another file (temp + rename).
	if !os.SameFile(before, after) || after.Size() != before.Size() {
		t.Errorf("the kept plugin was written again: inode %d before, %d after", inode(before), inode(after))
	}
	final := job.SummaryFile()
	if len(final.Workers) != 3 {
		t.Fatalf("workers %+v", final.Workers)
	}
	for _, w := range final.Workers {
		if !w.Pool || w.Jobs != 0 {
			t.Errorf("worker %s: pool %v, jobs before %d", w.ID, w.Pool, w.Jobs)
		}
	}
	for _, p := range []*testPool{p2, p3} {
		if !p.running() {
			t.Errorf("pool worker %s returned after the job: %v", p.name, p.err)
		}
	}
}

// inode is a file's inode number, 0 if unknown.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// front stands at an address before the coordinator of the moment,
// forwarding each connection to it, and counts them: each try of a pool
// worker waiting for a job is one.
type front struct {
	bell
	ln net.Listener

	mu     sync.Mutex // guards target and conns
	target string
	conns  int
}

func newFront(t *testing.T) *front {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &front{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *front) addr() string { return f.ln.Addr().String() }

// to sets where connections go from now on.
func (f *front) to(target string) {
	f.mu.Lock()
	f.target = target
	f.mu.Unlock()
}

func (f *front) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// waitConns waits until n connections came.
func (f *front) waitConns(t *testing.T, what string, n int) {
	t.Helper()
	f.wait(t, what, func() bool { return f.count() >= n })
}

func (f *front) serve() {
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns++
		target := f.target
		f.mu.Unlock()
		f.ring()
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer out.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(out, in); done <- struct{}{} }()
			go func() { io.Copy(in, out); done <- struct{}{} }()
			<-done
		}()
	}
}

// A pool worker with the job secret runs nothing of a coordinator
// without it: it says so once, starts no app's process, and the
// coordinator sees no worker and no attempt while the pool worker asks
// again. A plugin that cannot load is declined once, in one line naming
// the plugin's build and the worker's, which the coordinator's views
// list; the pool worker keeps asking without starting anything again,
// and then serves the next job.
func TestPoolRefusesUntrustedCoordinatorAndDeclinesUnloadablePlugin(t *testing.T) {
	inputs := Inputs(t, 2)
	secret := []byte("pool-test-secret")
	f := newFront(t)
	wc := writePlugin(t, filepath.Join(t.TempDir(), "wc.so"), testPlugin{})

	// A coordinator without the secret.
	untrusted, stop := startJob(t, poolConfig(t, wc, nil), inputs, wordCount("wc"))
	f.to(untrusted.C.Addr())
	p := startPool(t, "p", f.addr(), secret, t.TempDir())
	p.log.waitLines(t, `msg="the coordinator's job secret is not this pool's: waiting for another"`, 1)
	n := f.count()
	f.waitConns(t, "two more tries of the pool worker", n+2)
	if n := p.log.count("job secret is not this pool's"); n != 1 {
		t.Errorf("the pool worker said %d times that the secret differs", n)
	}
	if !strings.Contains(p.log.String(), protocol.ErrNoSecret.Error()) {
		t.Errorf("the pool worker's log does not say why: %s", p.log)
	}
	sum := untrusted.C.Summary()
	if p.commands.Load() != 0 || p.processes() != 0 || len(sum.Workers) != 0 || sum.MapAttempts != 0 || len(sum.Declined) != 0 {
		t.Fatalf("a coordinator without the secret: %d app's processes started; workers %+v, map attempts %d, declined %q",
			p.processes(), sum.Workers, sum.MapAttempts, sum.Declined)
	}
	stop()
	if err := untrusted.Wait(); err == nil {
		t.Fatal("the stopped coordinator returned nil")
	}

	// A plugin that cannot load.
	bogus := WriteFile(t, t.TempDir(), "bogus.so", "not a plugin\n")
	declined, stop := startJob(t, poolConfig(t, bogus, secret), inputs, wordCount("bogus"))
	f.to(declined.C.Addr())
	p.log.waitLines(t, `msg="job declined"`, 1)
	// Its next try connects only once its decline was answered: two more
	// are the same job seen again, and declined no more.
	n = f.count()
	f.waitConns(t, "two more tries of the pool worker", n+2)
	sum = declined.C.Summary()
	if len(sum.Declined) != 1 || !strings.HasPrefix(sum.Declined[0], "127.0.0.1: the app bogus (build ") ||
		!strings.Contains(sum.Declined[0], "(the plugin: build unknown; this worker: go") ||
		strings.Contains(sum.Declined[0], "\n") {
		t.Fatalf("declined: %q", sum.Declined)
	}
	if len(sum.Workers) != 0 || p.commands.Load() != 1 || p.processes() != 1 || p.log.count(`msg="job declined"`) != 1 {
		t.Fatalf("after the decline: workers %+v, %d app's processes started, %d declines logged",
			sum.Workers, p.processes(), p.log.count(`msg="job declined"`))
	}
	if apps := appsHeld(t, p); len(apps) != 0 {
		t.Fatalf("the declined plugin is kept: apps/ holds %v", apps)
	}
	stop()
	if err := declined.Wait(); err == nil {
		t.Fatal("the stopped coordinator returned nil")
	}

	// The next job.
	job, _ := startJob(t, poolConfig(t, wc, secret), inputs, wordCount("wc"))
	f.to(job.C.Addr())
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	job.CheckOutput(inputs)
	if sum := job.SummaryFile(); len(sum.Workers) != 1 || !sum.Workers[0].Pool || sum.Workers[0].Jobs != 0 {
		t.Fatalf("the next job's workers: %+v", sum.Workers)
	}
	if p.commands.Load() != 2 || p.processes() != 2 || p.log.count(`msg="job declined"`) != 1 {
		t.Fatalf("%d app's processes started, %d declines logged", p.processes(), p.log.count(`msg="job declined"`))
	}
	if apps, build := appsHeld(t, p), job.SummaryFile().AppBuild; len(apps) != 1 || apps[0] != build+".so" {
		t.Fatalf("apps/ holds %v, want the job's build %s", apps, build)
	}
}

// appsHeld lists apps/ of pool worker p's directory.
func appsHeld(t *testing.T, p *testPool) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(p.dir, "apps"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A pool worker whose fixed -listen port is taken tells the coordinator,
// which lists the decline naming the address, rather than waiting for it
// in silence; once the port is free, it serves the next job.
func TestPoolWithPortTakenDeclines(t *testing.T) {
	inputs := Inputs(t, 2)
	secret := []byte("pool-test-secret")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	wc := writePlugin(t, filepath.Join(t.TempDir(), "wc.so"), testPlugin{})
	f := newFront(t)
	job, stop := startJob(t, poolConfig(t, wc, secret), inputs, wordCount("wc"))
	f.to(job.C.Addr())
	p := startPoolListening(t, "p", f.addr(), secret, t.TempDir(), taken.Addr().String())
	job.WaitFor("a decline", func(sum protocol.Summary) bool { return len(sum.Declined) > 0 })
	sum := job.C.Summary()
	if len(sum.Declined) != 1 || !strings.Contains(sum.Declined[0], taken.Addr().String()) || len(sum.Workers) != 0 {
		t.Fatalf("declined %q, workers %+v", sum.Declined, sum.Workers)
	}
	stop()
	if err := job.Wait(); err == nil {
		t.Fatal("the stopped coordinator returned nil")
	}
	taken.Close()
	next, _ := startJob(t, poolConfig(t, wc, secret), inputs, wordCount("wc"))
	f.to(next.C.Addr())
	if err := next.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, p.log)
	}
	next.CheckOutput(inputs)
}

// A journaled job served by pool workers whose coordinator stops after a
// reduce is committed resumes when the same coordinator is started again
// at the same address: the pool workers wait for it and offer back their
// map outputs, which it takes back rather than run any map again; the
// output is mrsequential's.
func TestPoolJournaledJobSurvivesItsCoordinator(t *testing.T) {
	inputs := Inputs(t, 4)
	secret := []byte("pool-test-secret")
	g := newGate(t)
	cfg := poolConfig(t, writePlugin(t, filepath.Join(t.TempDir(), "wc.so"), testPlugin{Gate: g.addr(), ReduceWaits: "gamma"}), secret)
	cfg.Journal, cfg.WaitWorkers = true, 2
	cl, stop := startJob(t, cfg, inputs, wordCount("wc"))
	pools := []*testPool{
		startPool(t, "p1", cl.C.Addr(), secret, t.TempDir()),
		startPool(t, "p2", cl.C.Addr(), secret, t.TempDir()),
	}
	cl.WaitFor("a reduce committed", func(sum protocol.Summary) bool {
		for _, ts := range sum.Tasks {
			if strings.HasPrefix(ts.Task, "reduce-") && ts.Winner != "" {
				return true
			}
		}
		return false
	})
	before := cl.C.Summary()
	stop()
	if err := cl.Wait(); err == nil || !strings.Contains(err.Error(), "coordinator stopped") {
		t.Fatalf("the first coordinator returned %v", err)
	}

	cfg.Addr = cl.C.Addr()
	c2, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	cl.C = c2
	go func() { cl.result <- c2.Run(context.Background()) }()
	g.release()
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	after := cl.SummaryFile()
	if len(after.Restarts) != 1 || after.Restarts[0].MapsPending != len(inputs) || after.Restarts[0].ReducesRecovered < 1 {
		t.Fatalf("restarts %+v", after.Restarts)
	}
	maps := 0
	for _, ts := range before.Tasks {
		if ts.Winner == "" {
			continue
		}
		got := Task(t, after, ts.Task)
		if !got.Recovered || got.Winner != ts.Winner {
			t.Errorf("%s won by %s before the restart; after it: %+v", ts.Task, ts.Winner, got)
		}
		if strings.HasPrefix(ts.Task, "map-") {
			maps++
			if len(got.Attempts) != 1 || !got.Attempts[0].Recovered {
				t.Errorf("%s ran again after the restart: %+v", ts.Task, got.Attempts)
			}
		}
	}
	if maps != len(inputs) {
		t.Fatalf("%d maps committed before the restart, want %d", maps, len(inputs))
	}
	for _, p := range pools {
		p.log.waitLines(t, `msg="job over; waiting for the next"`, 1)
		if !strings.Contains(p.log.String(), "jobs_served=1") || p.processes() < 1 {
			t.Errorf("pool worker %s did not serve the job", p.name)
		}
		if !p.running() {
			t.Errorf("pool worker %s returned after the job: %v", p.name, p.err)
		}
	}
}
