// retry.go: the one retry policy, capped exponential backoff.

package worker

import (
	"context"
	"fmt"
	"time"
)

// backoff is a retry policy: waits that start at first and double up to
// max, for at most tries tries (0: no limit), until giveUp says to stop.
type backoff struct {
	first, max time.Duration
	tries      int
	giveUp     func() error // checked after each failed try; non-nil ends the retries
}

// retry calls try until it says it is done, the tries run out, giveUp
// says to stop or ctx ends. It returns the last try's error, giveUp's
// error with the last try's, or ctx's cause.
func (b backoff) retry(ctx context.Context, try func() (done bool, err error)) error {
	wait := b.first
	for n := 1; ; n++ {
		done, err := try()
		if done || (b.tries > 0 && n >= b.tries) {
			return err
		}
		if b.giveUp != nil {
			if gerr := b.giveUp(); gerr != nil {
				return fmt.Errorf("%w (last error: %v)", gerr, err)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		wait = min(2*wait, b.max)
	}
}
