// lock_test.go: the lock on -out: one coordinator at a time, and none
// left behind by one killed or one that failed to start.

package coordinator

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A second coordinator on the same -out is refused at once, in one line
// naming the first; once the first is done, the next one starts.
func TestOutLockedByItsCoordinator(t *testing.T) {
	cfg := testConfig(t.TempDir())
	first, err := New(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, testInputs(t, 1))
	want := "mr: -out " + cfg.OutDir + " is in use by another coordinator (pid " + strconv.Itoa(os.Getpid()) +
		", listening on " + first.Addr() + " since "
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("second coordinator: %v, want one line starting %q", err, want)
	}
	first.front.ln.Close()
	first.dirs.lock.release()
	if _, err := os.Stat(filepath.Join(cfg.OutDir, lockName)); !os.IsNotExist(err) {
		t.Fatalf("the lock's file stays after its release: %v", err)
	}
	third, err := New(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatalf("after the first released -out: %v", err)
	}
	third.front.ln.Close()
	third.dirs.lock.release()
}

// A coordinator that fails to start after it took -out and opened its
// journal (its address is taken) gives both back: the next one starts.
func TestFailedStartReleasesOut(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig(t.TempDir())
	cfg.Journal, cfg.Addr = true, taken.Addr().String()
	inputs := testInputs(t, 1)
	if _, err := New(cfg, inputs); err == nil || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("New on a taken address: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutDir, lockName)); !os.IsNotExist(err) {
		t.Fatalf("a failed New left the lock's file: %v", err)
	}
	cfg.Addr = "127.0.0.1:0"
	c, err := New(cfg, inputs)
	if err != nil {
		t.Fatalf("after a failed New: %v", err)
	}
	c.front.ln.Close()
	c.jr.journal.log.Close()
	c.dirs.lock.release()
}

// A coordinator killed holding the lock blocks nobody: the kernel drops a
// flock with its process. The child is this test binary, locking -out.
func TestOutLockOfAKilledCoordinator(t *testing.T) {
	if dir := os.Getenv("MR_TEST_HOLD_LOCK"); dir != "" {
		if _, err := lockOut(dir); err != nil {
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		select {}
	}
	cfg := testConfig(t.TempDir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutLockOfAKilledCoordinator$")
	cmd.Env = append(os.Environ(), "MR_TEST_HOLD_LOCK="+cfg.OutDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the child said %q", line)
	}
	if _, err := New(cfg, testInputs(t, 1)); err == nil || !strings.Contains(err.Error(), "(starting)") {
		t.Fatalf("while the child holds -out: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	c, err := New(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	c.front.ln.Close()
	c.dirs.lock.release()
}

// A lock taken on a file that its holder removed as it ended (opened by
// name just before) is not kept: no name gives that file any more, and
// the next try locks the file the name gives.
func TestOutLockOfARemovedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), lockName)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !stillNamed(f, path) {
		t.Fatal("the file its name gives is taken for another")
	}
	os.Remove(path) // the holder ends
	if stillNamed(f, path) {
		t.Fatal("a removed file is taken for the one its name gives")
	}
	os.WriteFile(path, nil, 0o644) // another newcomer made it anew
	if stillNamed(f, path) {
		t.Fatal("a removed file is taken for the new one its name gives")
	}
}
