// pool_test.go: a pool worker against a fake coordinator that offers job
// after job: it runs each job whose plugin loads, in an app's process
// that is this test binary run again (TestMain, childArg), and declines
// the others in one line each, keeping apps/ bounded.

package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// childArg, first on its command line, makes this test binary the app's
// process of a pool worker's job.
const childArg = "-mr-worker-test-child"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == childArg {
		os.Exit(serveChild(os.Args[2]))
	}
	os.Exit(m.Run())
}

// serveChild is the app's process of a job in these tests: a plugin file
// that starts with "wc" is word count; any other is loaded as a real
// plugin, which fails, and the process says why.
func serveChild(plugin string) int {
	in, out := os.NewFile(3, "tasks"), os.NewFile(4, "results")
	b, err := os.ReadFile(plugin)
	if err == nil && bytes.HasPrefix(b, []byte("wc")) {
		err = executor.ServeApp(countWords(), in, out)
	} else {
		err = executor.ServeChild(plugin, in, out)
	}
	if err != nil {
		return 1
	}
	return 0
}

// poolJob is a job a fake coordinator offers a pool worker.
type poolJob struct {
	info   protocol.JobInfo
	plugin []byte
}

// newPoolJob is job id of the app whose plugin is plugin.
func newPoolJob(id string, plugin string) poolJob {
	sum := sha256.Sum256([]byte(plugin))
	return poolJob{plugin: []byte(plugin), info: protocol.JobInfo{Job: id, App: "wc", Ships: true,
		Build: hex.EncodeToString(sum[:]), Size: int64(len(plugin))}}
}

// jobTable plays the coordinators that appear at a pool worker's address,
// one job after another: each job that the pool joins runs one map task,
// then ends; each that it declines is over at once. It closes done after
// the last.
type jobTable struct {
	jobs []poolJob
	done chan struct{}

	// mu guards the rest.
	mu       sync.Mutex
	next     int
	fetched  map[string]int    // plugin fetches by build
	declined map[string]string // why, by job
	ran      map[string]*fakeCoordinator
}

// current is the job offered now.
func (f *jobTable) current() poolJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[min(f.next, len(f.jobs)-1)]
}

// over ends the current job.
func (f *jobTable) over() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next++; f.next == len(f.jobs) {
		close(f.done)
	}
}

func (f *jobTable) dial() jobSource { return f }

func (f *jobTable) Job() (*protocol.JobInfo, error) {
	info := f.current().info
	return &info, nil
}

func (f *jobTable) shipped(sum string, size int64, w io.Writer) error {
	j := f.current()
	f.mu.Lock()
	f.fetched[j.info.Build]++
	f.mu.Unlock()
	_, err := w.Write(j.plugin[:size])
	return err
}

func (f *jobTable) Decline(_, reason string) error {
	f.mu.Lock()
	f.declined[f.jobs[f.next].info.Job] = reason
	f.mu.Unlock()
	f.over()
	return nil
}

func (f *jobTable) LocalIP() string { return "127.0.0.1" }
func (f *jobTable) Close()          {}

// newWorker makes a job's worker, talking to a fake coordinator of the
// current job that ends it once its one map task is done.
func (f *jobTable) newWorker(cfg Config) (*Worker, error) {
	w, err := New(cfg)
	if err != nil {
		return nil, err
	}
	fake := &fakeCoordinator{splits: map[string]string{"a.txt": "x y x\n"}}
	fake.tasks = []protocol.GetTaskReply{fake.splitTask(0, "a.txt")}
	f.mu.Lock()
	f.ran[f.jobs[f.next].info.Job] = fake
	f.mu.Unlock()
	w.coord = endingCoordinator{fake, f.over}
	return w, nil
}

// endingCoordinator calls over when it tells its worker to exit.
type endingCoordinator struct {
	*fakeCoordinator
	over func()
}

func (f endingCoordinator) GetTask(args *protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	reply, err := f.fakeCoordinator.GetTask(args)
	if err == nil && reply.Action == protocol.ActExit {
		f.over()
	}
	return reply, err
}

// A pool worker runs each job whose plugin loads here, fetching a plugin
// once however many jobs use it, and declines, saying why, a job whose
// plugin does not load, is too large, or whose id names no directory;
// apps/ then holds the KeepApps plugins used last, and no job's
// directory is left.
func TestPoolRunsJobsAndDeclinesOthers(t *testing.T) {
	wc1, wc2, wc3 := newPoolJob("a", "wc 1"), newPoolJob("c", "wc 2"), newPoolJob("f", "wc 3")
	again := wc1
	again.info.Job = "e"
	badID := newPoolJob("../x", "wc 1")
	junk := newPoolJob("b", "junk, no plugin")
	large := newPoolJob("d", "wc 4"+strings.Repeat(" ", 2<<10))
	fake := &jobTable{jobs: []poolJob{wc1, junk, wc2, large, again, wc3, badID}, done: make(chan struct{}),
		fetched: make(map[string]int), declined: make(map[string]string), ran: make(map[string]*fakeCoordinator)}
	p, err := NewPool(testConfig(t), PoolConfig{InsecureAcceptCode: true, KeepApps: 2, MaxPlugin: 1 << 10},
		func(plugin string) []string { return []string{os.Args[0], childArg, plugin} }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p.dial, p.newWorker = fake.dial, fake.newWorker
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	select {
	case <-fake.done:
	case <-time.After(time.Minute):
		t.Fatal("the pool did not get through its jobs within a minute")
	}
	cancel()
	if err := <-res; err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, id := range []string{"a", "c", "e", "f"} {
		if r := fake.ran[id]; r == nil || len(r.maps) != 1 {
			t.Errorf("job %s: no map reported", id)
		}
	}
	for id, why := range map[string]string{"b": "cannot run here", "d": "more than this pool worker accepts",
		"../x": "no valid job id"} {
		if !strings.Contains(fake.declined[id], why) || fake.ran[id] != nil {
			t.Errorf("job %s: declined %q, want %q", id, fake.declined[id], why)
		}
	}
	if p.jobs != 4 || fake.fetched[wc1.info.Build] != 1 || fake.fetched[large.info.Build] != 0 {
		t.Fatalf("%d jobs served, plugins fetched %v: want 4, wc1's once, the large one never", p.jobs, fake.fetched)
	}
	names, _ := files(t, filepath.Join(p.dir, "apps"))
	if want := []string{wc1.info.Build + ".so", wc3.info.Build + ".so"}; !slices.Equal(names, sorted(want)) {
		t.Errorf("apps/ holds %v, want the plugins used last %v", names, want)
	}
	if names, _ := files(t, p.dir); !slices.Equal(names, []string{"apps"}) {
		t.Errorf("the pool's directory holds %v, want apps/ only", names)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
