package worker

// liveness_test.go: when a worker gives up on a silent coordinator, on a
// clock the test moves.

import (
	"context"
	"errors"
	"strings"
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
		{"plain job", protocol.RegisterReply{WorkerID: "w1", NReduce: 2}, 3 * time.Second, "stopped answering (nothing for 3s)"},
		{"journaled job", protocol.RegisterReply{WorkerID: "w1", NReduce: 2, Journaled: true, RestartWindow: int64(time.Minute)},
			time.Minute, "did not come back within its restart window (1m0s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &silentCoordinator{fakeCoordinator: &fakeCoordinator{}, register: tt.register, step: tt.limit / 12}
			w := newTestWorker(t, countWords(), nil)
			w.cfg.LostAfter, w.cfg.Clock, w.coord = 3*time.Second, fake.now, fake
			err := w.Run(context.Background())
			gaveUp := time.Duration(fake.elapsed.Load())
			switch {
			case !errors.Is(err, ErrCoordinatorLost) || !strings.Contains(err.Error(), tt.says):
				t.Fatalf("Run = %v, want %v saying %q", err, ErrCoordinatorLost, tt.says)
			case gaveUp < tt.limit || gaveUp > tt.limit+4*fake.step:
				t.Fatalf("gave up after %s of silence, want %s", gaveUp, tt.limit)
			}
		})
	}
}
