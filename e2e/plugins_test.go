// plugins_test.go: plugins and binaries built apart, and a pool of
// workers that get their app from each job's coordinator.

package e2e

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// Plugins built before an edit of the engine still load: in a copy of the
// tree, mr/coordinator and mr/worker each get one more unexported
// function, only the two binaries are built again (with the flags of
// those under test), and they run a wc job with the wc.so built before
// the edit: its output is mrsequential's.
func TestPluginCompatibility(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	tree := filepath.Join(j.dir, "tree")
	if err := copyTree(tree); err != nil {
		t.Fatal(err)
	}
	edit := "\n// editedForTheTest changes the package's source.\nfunc editedForTheTest() int { return 42 }\n"
	for _, f := range []string{"mr/coordinator/coordinator.go", "mr/worker/worker.go"} {
		if err := appendFile(filepath.Join(tree, f), edit); err != nil {
			t.Fatal(err)
		}
	}
	newBin := filepath.Join(tree, "bin")
	args := append(append([]string{"build"}, flagsOf(t, filepath.Join(binDir, "mrworker"))...),
		"-o", newBin+"/", "./main/mrcoordinator", "./main/mrworker")
	cmd := exec.Command("go", args...)
	cmd.Dir = tree
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the edited binaries: %v\n%s", err, out)
	}
	j.bin = newBin
	j.run("wc", 2)
	j.finish()
	j.checkOutputs("wc")
}

// flagsOf is the build flags that matter to plugins (-race, -trimpath)
// of a binary.
func flagsOf(t testing.TB, bin string) []string {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for _, s := range info.Settings {
		if (s.Key == "-race" || s.Key == "-trimpath") && s.Value == "true" {
			flags = append(flags, s.Key)
		}
	}
	return flags
}

// copyTree copies the repository's files (tracked, and untracked but not
// ignored) to dir.
func copyTree(dir string) error {
	cmd := exec.Command("git", "ls-files", "-co", "--exclude-standard", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted, not yet committed
		}
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, s)
	return errors.Join(err, f.Close())
}

// Workers that stay: two pool workers (mrworker without a plugin, with
// the job secret) started once serve a wc job, then an indexer job, each
// started as mrcoordinator -app PATH.so on the same address: both outputs
// are mrsequential's, and both workers still run afterwards, having
// served two jobs. A coordinator without the secret gets none of them. A
// plugin that cannot load here (built without -race for race-built
// workers, else a file that is no plugin) is declined by each worker, in
// a line naming the plugin's build and the worker's, which the
// coordinator lists. SIGTERM ends both workers with status 0.
func TestPool(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.secret = "pool-secret"
	j.addr = freeAddr(t)
	var pool []*proc
	for _, w := range []string{"p1", "p2"} {
		run := j.path(w, "run")
		os.MkdirAll(run, 0o755)
		pool = append(pool, start(t, j.path(w+".log"), j.path(w), j.env(), "mrworker", "-coordinator", j.addr, "-dir", run))
	}
	for _, app := range []string{"wc", "indexer"} {
		os.RemoveAll(j.path("out"))
		j.startCoordinator("-addr", j.addr, "-app", filepath.Join(binDir, app+".so"), "-wait-workers", "2")
		j.coord.mustExit(t, jobTimeout, 0)
		j.checkOutputs(app)
	}
	for _, p := range pool {
		if p.exited() {
			t.Fatalf("pool worker %s exited after the jobs: %s", p.name, p.lastLine())
		}
	}
	for _, w := range j.summary("indexer").Workers {
		if !w.Pool || w.Jobs != 1 {
			t.Errorf("the second job's worker %s: pool %v, %d jobs before, want a pool worker with 1", w.ID, w.Pool, w.Jobs)
		}
	}
	poolUntrusted(t, j)
	poolDeclined(t, j)
	for _, p := range pool {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range pool {
		p.mustExit(t, exitTimeout, 0)
	}
}

// freeAddr is a loopback address nothing listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// poolUntrusted: a coordinator without the job secret, shipping wc: no
// pool worker joins it, nothing runs, while the pool workers ask for work
// (every 2 s at most) for 5 s.
func poolUntrusted(t *testing.T, j *job) {
	secret := j.secret
	j.secret = ""
	os.RemoveAll(j.path("out"))
	j.startCoordinator("-addr", j.addr, "-app", filepath.Join(binDir, "wc.so"))
	j.secret = secret
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		st, err := j.status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Workers != 0 || st.MapTasks.Attempts != 0 {
			t.Fatalf("a coordinator without the secret: %d workers, %d map attempts", st.Workers, st.MapTasks.Attempts)
		}
		j.coord.wait(100 * time.Millisecond)
	}
	j.coord.signal(syscall.SIGKILL)
	j.coord.wait(exitTimeout)
}

// poolDeclined: a coordinator shipping a plugin these workers cannot
// load: each declines it once, in one line naming the builds, which the
// coordinator lists.
func poolDeclined(t *testing.T, j *job) {
	plugin := j.path("bogus.so")
	if bytes.Contains([]byte(strings.Join(flagsOf(t, filepath.Join(binDir, "mrworker")), " ")), []byte("-race")) {
		plugin = j.path("plain.so")
		cmd := exec.Command("go", "build", "-trimpath", "-buildmode=plugin", "-o", plugin, "./mrapps/nocrash")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building a plugin without -race: %v\n%s", err, out)
		}
	} else {
		os.WriteFile(plugin, []byte("not a plugin\n"), 0o644)
	}
	os.RemoveAll(j.path("out"))
	j.startCoordinator("-addr", j.addr, "-app", plugin)
	st := j.waitStatus(jobTimeout, "two declines", func(st *protocol.Status) bool { return len(st.Declined) >= 2 })
	for _, d := range st.Declined {
		if !strings.Contains(d, "build") || strings.Contains(d, "\n") {
			t.Errorf("declined: %q, want one line naming the builds", d)
		}
	}
	// Once each: the pool workers go on asking, and decline no more.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); j.coord.wait(100 * time.Millisecond) {
		if now, err := j.status(); err == nil {
			st = now
		}
	}
	if len(st.Declined) != 2 || st.Workers != 0 {
		t.Errorf("declined %q, %d workers; want 2 declines, no worker", st.Declined, st.Workers)
	}
	t.Logf("a plugin that cannot load: %s", st.Declined[0])
	j.coord.signal(syscall.SIGKILL)
	j.coord.wait(exitTimeout)
}
