// statuspage_test.go: a real browser (headless chromium) reads the
// status page of a running job and of the finished one.

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A real browser reads the page of a running job and of the finished one.
// The job's last map waits on a gate, so the running job is in a known
// state: 7 of 8 maps done, one failed attempt, the gated task running
// twice (the original and its backup), both showing how far they got,
// every map task its input, an ETA. Once the job is done and both workers
// were told so, they are exited, not live, and the headline rate is the
// job's mean. The coordinator lingers after the job; SIGTERM then ends it
// with status 0. main/mrstatuscheck reads /status, the DOM chromium
// dumped and its screenshots. Chromium is $MR_CHROMIUM, or chromium on
// the PATH; without it the test skips (test-mr.sh installs it first).
// MR_SCREENSHOT=F copies the finished job's screenshot to F.
func TestStatusPage(t *testing.T) {
	t.Parallel()
	browser := findChromium(t)
	j := newJob(t)
	j.writeMarker("markers/fail-map", "")
	j.writeMarker("markers/gate", fmt.Sprintf("input-%d.txt", nFiles))
	j.run("counters", 2, "-task-timeout", "2s", "-linger", "60s")
	url, n := "http://"+j.addr, fmt.Sprint(nFiles)
	statusCheck(t, j, "wait", "60", url+"/status", "MapsDone=7", "map_tasks.running=1", "map_tasks.outcomes.running=2",
		"LiveWorkers=2", "worker_counts.working=2", "count.progress=2", "count.input="+n, "work.eta_ms>=0")
	dom, shot := browse(t, j, browser, url, "running")
	statusCheck(t, j, "dom", dom, "phase=map", "over=false", "#maps-done=7", "#maps-total=8", "#reduces-done=0",
		fmt.Sprintf("#reduces-total=%d", nReduce), "#workers-live=2", "#workers-total=2",
		fmt.Sprintf("tasks=%d", nFiles+nReduce), "tasks.running=1", "tasks.done=7", "tasks.failed=1", "tasks.input="+n,
		"attempts.running=2", "attempts.progress=2", "attempts.failed=1", "workers=2", "workers.working=2", "#rate-note=now")
	statusCheck(t, j, "png", shot)
	j.writeMarker("markers/open", "")
	statusCheck(t, j, "wait", "90", url+"/status", "over=true", "Phase=done", fmt.Sprintf("ReducesDone=%d", nReduce),
		"result.final=mr-counters-all", "worker_counts.exited=2")
	dom, shot = browse(t, j, browser, url, "done")
	lines, keys := inputLines(t), strings.Count(string(expected(t, "counters")), "\n")
	statusCheck(t, j, "dom", dom, "phase=done", "over=true", "#maps-done=8", fmt.Sprintf("#reduces-done=%d", nReduce),
		fmt.Sprintf("tasks=%d", nFiles+nReduce), fmt.Sprintf("tasks.done=%d", nFiles+nReduce), "tasks.failed=1",
		"attempts.running=0", "attempts.failed=1", "attempts.lost>=1", "attempts.progress=0", "workers=2",
		"workers.dead=0", "workers.exited=2", "#workers-live=0", "#workers-total=2", "#rate-note=mean over the job",
		"tasks.input="+n, fmt.Sprintf("user.lines=%d", lines), fmt.Sprintf("user.keys=%d", keys),
		fmt.Sprintf("counter.map_input_records=%d", lines), fmt.Sprintf("counter.reduce_output_records=%d", keys))
	statusCheck(t, j, "png", shot)
	statusCheck(t, j, "status", url+"/status", "over=true", fmt.Sprintf("result.outputs=mr-out-0 … mr-out-%d", nReduce-1),
		"throughput.mean_bytes_per_s>=1", "worker_counts.working=0", "worker_counts.idle=0")
	if f := os.Getenv("MR_SCREENSHOT"); f != "" {
		if b, err := os.ReadFile(shot); err != nil || os.WriteFile(f, b, 0o644) != nil {
			t.Errorf("cannot copy the screenshot to %s", f)
		}
	}
	if j.coord.exited() {
		t.Fatal("the coordinator did not linger after the job")
	}
	j.coord.signal(syscall.SIGTERM)
	j.finish()
	j.checkOutputs("counters")
}

// findChromium is $MR_CHROMIUM, or chromium on the PATH; the test skips
// without it.
func findChromium(t *testing.T) string {
	t.Helper()
	skipShort(t)
	for _, c := range []string{os.Getenv("MR_CHROMIUM"), "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(c); c != "" && err == nil {
			return p
		}
	}
	t.Skip("chromium is missing (apt-get install chromium; test-mr.sh installs it when it can)")
	return ""
}

// statusCheck runs mrstatuscheck WHAT ARGS and fails the test with its
// first complaint; it logs what it printed.
func statusCheck(t *testing.T, j *job, what string, args ...string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "mrstatuscheck"), append([]string{what}, args...)...).CombinedOutput()
	if err != nil {
		first, _, _ := strings.Cut(string(out), "\n")
		t.Fatalf("mrstatuscheck %s: %v: %s", what, err, first)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.HasPrefix(l, "mrstatuscheck") {
			t.Log(l)
		}
	}
}

// browse has headless chromium, with a fresh profile, dump the page's
// DOM after its scripts ran and take a screenshot, each within 60 s; it
// returns their files NAME.html and NAME.png.
func browse(t *testing.T, j *job, browser, url, name string) (dom, shot string) {
	t.Helper()
	dom, shot = j.path(name+".html"), j.path(name+".png")
	for _, what := range []string{"--dump-dom", "--screenshot=" + shot} {
		profile, err := os.MkdirTemp(j.dir, "chromium-profile-")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir="+profile, "--window-size=1000,1100", what, url+"/")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		cancel()
		os.RemoveAll(profile)
		os.WriteFile(j.path("chromium-"+name+".log"), stderr.Bytes(), 0o644)
		if err != nil {
			t.Fatalf("chromium %s %s: %v: %s", what, url, err, lastLine(stderr.Bytes()))
		}
		if what == "--dump-dom" {
			if err := os.WriteFile(dom, stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Fatalf("chromium wrote no screenshot of %s", url)
	}
	return dom, shot
}

// inputLines is how many lines the inputs hold.
func inputLines(t *testing.T) int {
	n := 0
	for _, in := range inputs {
		b, err := os.ReadFile(filepath.Join(inDir, in))
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n")
	}
	return n
}
