// retry_test.go: the retry policy, on waits of zero.

package worker

import (
	"context"
	"errors"
	"testing"
)

// The policies here wait zero time between tries: nothing sleeps.

func TestBackoffStopsAfterTries(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	err := backoff{tries: 3}.retry(context.Background(), func() (bool, error) { n++; return false, boom })
	if n != 3 || err != boom {
		t.Fatalf("%d tries, err %v; want 3 tries and the last error", n, err)
	}
}

func TestBackoffStopsWhenDone(t *testing.T) {
	n := 0
	err := backoff{}.retry(context.Background(), func() (bool, error) { n++; return n == 4, nil })
	if n != 4 || err != nil {
		t.Fatalf("%d tries, err %v", n, err)
	}
}

func TestBackoffGiveUpWrapsBothErrors(t *testing.T) {
	lost, boom := errors.New("lost"), errors.New("boom")
	n := 0
	b := backoff{giveUp: func() error {
		if n == 2 {
			return lost
		}
		return nil
	}}
	err := b.retry(context.Background(), func() (bool, error) { n++; return false, boom })
	if n != 2 || !errors.Is(err, lost) || err.Error() != "lost (last error: boom)" {
		t.Fatalf("%d tries, err %v", n, err)
	}
}

func TestBackoffEndsWithContext(t *testing.T) {
	stop := errors.New("stopped")
	ctx, cancel := context.WithCancelCause(context.Background())
	n := 0
	err := backoff{}.retry(ctx, func() (bool, error) {
		if n++; n == 2 {
			cancel(stop)
		}
		return false, errors.New("boom")
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("%d tries, err %v", n, err)
	}
}
