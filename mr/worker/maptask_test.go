package worker

import (
	"errors"
	"fmt"
	"testing"

	"mapreduce/mr/executor"
)

// A failure in an absorbed part names the part, and stays the app's
// failure when it was: both reach the report.
func TestFailedPartKeepsTheFailuresClass(t *testing.T) {
	err := fmt.Errorf("mapping: %w", &partError{part: 2, err: &executor.AppError{Msg: "panic: boom"}})
	var ae *executor.AppError
	if failedPart(err) != 2 || !errors.As(err, &ae) || ae.Msg != "panic: boom" {
		t.Fatalf("part %d, app error %v", failedPart(err), ae)
	}
	if failedPart(errors.New("disk full")) != 0 {
		t.Fatal("a failure of no part names one")
	}
}
