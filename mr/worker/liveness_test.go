// liveness_test.go: the worker's view of its coordinator, every
// transition on a clock the test moves; and a worker giving up on a
// silent coordinator, or rejoining one back within its restart window.

package worker

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// silentCoordinator registers the worker, then fails every call as a
// dead connection does, moving the worker's clock on by step per call.
type silentCoordinator struct {
	*fakeCoordinator
	register protocol.RegisterReply
	step     time.Duration
	elapsed  atomic.Int64 // nanoseconds the clock moved
}

func (f *silentCoordinator) now() time.Time {
	return time.Unix(1e9, 0).Add(time.Duration(f.elapsed.Load()))
}

func (f *silentCoordinator) Register(string, string, *protocol.Offer) (*protocol.RegisterReply, error) {
	r := f.register
	r.HeartbeatEvery = testHeartbeat
	return &r, nil
}

// fail is the answer to every call after Register.
func (f *silentCoordinator) fail() error {
	f.elapsed.Add(int64(f.step))
	return errors.New("read tcp: connection reset by peer")
}

func (f *silentCoordinator) Heartbeat(*protocol.HeartbeatArgs) (*protocol.HeartbeatReply, error) {
	return nil, f.fail()
}

func (f *silentCoordinator) GetTask(*protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	return nil, f.fail()
}

// A worker whose coordinator goes silent gives up once LostAfter has
// passed on its clock (a journaled job's worker: the job's restart
// window), saying which, and not before.
func TestWorkerGivesUpOnSilentCoordinator(t *testing.T) {
	for _, tt := range []struct {
		name     string
		register protocol.RegisterReply
		limit    time.Duration // when it gives up
		says     string
	}{
		{"plain job", protocol.RegisterReply{WorkerID: "w1", Partitioning: protocol.Partitioning, NReduce: 2}, 3 * time.Second, "stopped answering (nothing for 3s)"},
		{"journaled job", protocol.RegisterReply{WorkerID: "w1", Partitioning: protocol.Partitioning, NReduce: 2, Journaled: true, RestartWindow: int64(time.Minute)},
			time.Minute, "did not come back within its restart window (1m0s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &silentCoordinator{fakeCoordinator: &fakeCoordinator{}, register: tt.register, step: tt.limit / 12}
			w := newTestWorker(t, countWords(), fake, func(c *Config) { c.LostAfter = 3 * time.Second })
			w.live.now = fake.now
			err := w.Run(context.Background())
			gaveUp := time.Duration(fake.elapsed.Load())
			switch {
			case !errors.Is(err, errCoordinatorLost) || !strings.Contains(err.Error(), tt.says):
				t.Fatalf("Run = %v, want %v saying %q", err, errCoordinatorLost, tt.says)
			case gaveUp < tt.limit || gaveUp > tt.limit+4*fake.step:
				t.Fatalf("gave up after %s of silence, want %s", gaveUp, tt.limit)
			}
		})
	}
}

// testClock is a clock the test moves.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// testLiveness is a coordinator's liveness waited for 1 minute at first,
// lost after 3 s of silence, on clock c.
func testLiveness() (*liveness, *testClock) {
	c := &testClock{t: time.Unix(1e9, 0)}
	return newLiveness(Config{Coordinator: "10.0.0.1:1234", WaitCoordinator: time.Minute, LostAfter: 3 * time.Second}, c.now), c
}

// wantState fails unless l is in state want, and lost says so exactly
// when want is lost, with says in its error.
func wantState(t *testing.T, l *liveness, want coordState, says string) {
	t.Helper()
	err := l.lost()
	switch got := l.current(); {
	case got != want:
		t.Fatalf("state %s, want %s", got, want)
	case (err != nil) != (want == lost):
		t.Fatalf("in state %s, lost() = %v", got, err)
	case err != nil && (!errors.Is(err, errCoordinatorLost) || !strings.Contains(err.Error(), says)):
		t.Fatalf("lost() = %v, want %q", err, says)
	}
}

// Before the coordinator first answers, it is waited for WaitCoordinator
// (saying so once), not LostAfter; once dialled, LostAfter counts from
// the start.
func TestLivenessUnreached(t *testing.T) {
	l, c := testLiveness()
	wantState(t, l, unreached, "")
	if !l.dialFailed() || l.dialFailed() {
		t.Fatal("dialFailed should say to log the wait once")
	}
	c.advance(59 * time.Second)
	wantState(t, l, unreached, "")
	c.advance(time.Second)
	wantState(t, l, lost, "no coordinator answered at 10.0.0.1:1234 within 1m0s (-wait-coordinator)")

	l, c = testLiveness()
	c.advance(10 * time.Second)
	l.dialed()
	if !l.reached() || l.dialFailed() {
		t.Fatal("a dialled coordinator is reached, and no longer waited for")
	}
	wantState(t, l, lost, "stopped answering (nothing for 3s)")
	l.answered()
	wantState(t, l, answering, "")
}

// An answering coordinator is lost after LostAfter of silence, counted
// from its last answer; a failed call changes nothing else.
func TestLivenessAnswering(t *testing.T) {
	l, c := testLiveness()
	if l.answered() {
		t.Fatal("a first answer ends no outage")
	}
	wantState(t, l, answering, "")
	c.advance(2 * time.Second)
	if l.failed() {
		t.Fatal("a job not journaled has no outage to wait out")
	}
	wantState(t, l, answering, "")
	l.answered()
	c.advance(2999 * time.Millisecond)
	wantState(t, l, answering, "")
	c.advance(time.Millisecond)
	wantState(t, l, lost, "coordinator at 10.0.0.1:1234 stopped answering (nothing for 3s)")
}

// A journaled job's coordinator that goes silent is in an outage, said
// once, waited out up to its restart window (LostAfter if longer); an
// answer ends it, said once.
func TestLivenessJournaledOutage(t *testing.T) {
	l, c := testLiveness()
	l.answered()
	l.registered(true, time.Minute)
	if !l.journaled() || l.limit() != time.Minute {
		t.Fatalf("journaled %v, limit %s", l.journaled(), l.limit())
	}
	if !l.failed() || l.failed() {
		t.Fatal("failed should start the outage once")
	}
	c.advance(30 * time.Second)
	wantState(t, l, outage, "")
	if !l.answered() || l.answered() {
		t.Fatal("answered should end the outage once")
	}
	wantState(t, l, answering, "")
	l.failed()
	c.advance(time.Minute)
	wantState(t, l, lost, "did not come back within its restart window (1m0s)")

	l, _ = testLiveness()
	l.answered()
	l.registered(true, time.Second)
	if l.limit() != 3*time.Second {
		t.Fatalf("a restart window shorter than LostAfter: limit %s", l.limit())
	}
}

// A coordinator that forgot this worker makes it register again, until
// it does; a coordinator serving another job is said once.
func TestLivenessForgotUs(t *testing.T) {
	l, _ := testLiveness()
	l.registered(false, 0)
	if l.mustRegister() {
		t.Fatal("must register after registering")
	}
	l.forgotUs()
	if !l.mustRegister() {
		t.Fatal("forgotten, but no need to register")
	}
	l.registered(false, 0)
	if l.mustRegister() {
		t.Fatal("registered again, still forgotten")
	}
	if !l.otherJob() || l.otherJob() {
		t.Fatal("otherJob should say it once")
	}
	for s, name := range map[coordState]string{unreached: "unreached", answering: "answering", outage: "outage", lost: "lost"} {
		if s.String() != name {
			t.Errorf("%d prints %q", s, s.String())
		}
	}
}

// restartingCoordinator runs a journaled job: it registers the worker
// as w1 and gives it one map task; once the map is reported it fails
// every call, as a dead coordinator, moving the worker's clock on by
// step per call, until down has passed; then, restarted, it no longer
// knows w1, says first that it runs another job, then the job again,
// takes back what the worker offers when it registers as w2, and ends
// the job.
type restartingCoordinator struct {
	*fakeCoordinator
	step, down time.Duration
	elapsed    atomic.Int64 // nanoseconds the clock moved

	// mu guards the rest.
	mu         sync.Mutex
	crashed    bool // the map was reported: the coordinator is gone
	jobAsked   int
	registered []*protocol.Offer
}

func (f *restartingCoordinator) now() time.Time {
	return time.Unix(1e9, 0).Add(time.Duration(f.elapsed.Load()))
}

// up reports whether the coordinator answers; down, it moves the clock.
func (f *restartingCoordinator) up() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.crashed {
		return true
	}
	return time.Duration(f.elapsed.Add(int64(f.step))) > f.down
}

var errReset = errors.New("read tcp: connection reset by peer")

func (f *restartingCoordinator) Register(_, _ string, offer *protocol.Offer) (*protocol.RegisterReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registered = append(f.registered, offer)
	r := &protocol.RegisterReply{WorkerID: "w1", Partitioning: protocol.Partitioning, Job: "job1", NReduce: 2, SplitSize: 1 << 20, Journaled: true,
		RestartWindow: int64(time.Minute), HeartbeatEvery: testHeartbeat}
	if offer != nil {
		r.WorkerID, r.Adopted = "w2", offer.Maps
	}
	return r, nil
}

func (f *restartingCoordinator) ReportMap(args *protocol.ReportMapArgs) (*protocol.ReportReply, error) {
	reply, err := f.fakeCoordinator.ReportMap(args)
	f.mu.Lock()
	f.crashed = true
	f.mu.Unlock()
	return reply, err
}

func (f *restartingCoordinator) Job() (*protocol.JobInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobAsked++
	if f.jobAsked == 1 {
		return &protocol.JobInfo{Job: "another job"}, nil
	}
	return &protocol.JobInfo{Job: "job1"}, nil
}

func (f *restartingCoordinator) Heartbeat(args *protocol.HeartbeatArgs) (*protocol.HeartbeatReply, error) {
	switch {
	case !f.up():
		return nil, errReset
	case args.WorkerID == "w1" && f.restarted():
		return &protocol.HeartbeatReply{Action: protocol.ActReregister}, nil
	}
	return &protocol.HeartbeatReply{}, nil
}

func (f *restartingCoordinator) GetTask(args *protocol.GetTaskArgs) (*protocol.GetTaskReply, error) {
	switch {
	case !f.up():
		return nil, errReset
	case args.WorkerID == "w1" && f.restarted():
		return &protocol.GetTaskReply{Action: protocol.ActReregister}, nil
	}
	return f.fakeCoordinator.GetTask(args)
}

func (f *restartingCoordinator) restarted() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.crashed
}

// A journaled job's worker whose coordinator stops answering waits
// past LostAfter, within the job's restart window; when a coordinator
// answers again at the address, it does not register with it while it
// runs another job, then registers offering back the output it holds,
// keeps it once taken back, and works on to the job's end.
func TestWorkerRejoinsARestartedJournaledCoordinator(t *testing.T) {
	fake := &restartingCoordinator{fakeCoordinator: &fakeCoordinator{splits: map[string]string{"a.txt": "x y\n"}},
		step: 2 * time.Second, down: 20 * time.Second}
	fake.tasks = []protocol.GetTaskReply{fake.splitTask(0, "a.txt")}
	w := newTestWorker(t, countWords(), fake)
	w.live.now = fake.now
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if silent := time.Duration(fake.elapsed.Load()); silent <= w.cfg.LostAfter {
		t.Fatalf("the coordinator was silent %s, not past LostAfter (%s)", silent, w.cfg.LostAfter)
	}
	want := protocol.Offer{Job: "job1", Worker: "w1", Maps: []protocol.MapAttempt{{Map: 0, Attempt: 1}}}
	switch r := fake.registered; {
	case len(r) != 2 || r[0] != nil || r[1] == nil:
		t.Fatalf("registrations %+v, want a first one, then one offering back", r)
	case r[1].Job != want.Job || r[1].Worker != want.Worker || !slices.Equal(r[1].Maps, want.Maps):
		t.Fatalf("offered back %+v, want %+v", *r[1], want)
	case fake.jobAsked < 2:
		t.Fatalf("asked the job %d times, want once while another ran, then again", fake.jobAsked)
	case w.ID() != "w2":
		t.Fatalf("id %q after registering again, want w2", w.ID())
	}
	if _, err := os.Stat(runPath(w.dir, 0, 1)); err != nil {
		t.Fatalf("the output taken back is gone: %v", err)
	}
}
