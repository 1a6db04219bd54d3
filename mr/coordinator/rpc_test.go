package coordinator

import (
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// A worker that does not partition keys as this build does (one of a
// build before the seeded hash says nothing) is refused, naming why:
// its map outputs would send keys to other reduce tasks than its peers'.
// The seed is the job's: the same for the same job id (a journaled job
// started again keeps its id), another for another job.
func TestRegistrationNeedsThisPartitioning(t *testing.T) {
	args := protocol.RegisterArgs{App: "wc", Addr: "127.0.0.1:7000", Partitioning: protocol.Partitioning}
	if err := checkRegistration(&args); err != nil {
		t.Fatalf("a worker of this build refused: %v", err)
	}
	for _, p := range []int{0, protocol.Partitioning + 1} {
		args.Partitioning = p
		if err := checkRegistration(&args); err == nil || !strings.Contains(err.Error(), "partitions keys as another build") {
			t.Errorf("partitioning %d: checkRegistration = %v", p, err)
		}
	}
	if partitionSeed("0123456789abcdef") != partitionSeed("0123456789abcdef") ||
		partitionSeed("0123456789abcdef") == partitionSeed("0123456789abcdee") {
		t.Error("the seed is not the job id's alone")
	}
}
