// summarylog_test.go pins the counters of the "job summary" log line.

package coordinator

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// The coordinator's "job summary" line carries the job's counters, the
// engine's and the app's, as counters.NAME=N and counters.user.NAME=N.
func TestSummaryLineCarriesTheCounters(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	c := protocol.Counters{MapInputRecords: 12949, ReduceOutputRecords: 7, User: map[string]int64{"lines": 12949, "words": 3}}
	log.Info("job summary", countersAttr(&c))
	for _, want := range []string{" counters.map_input_records=12949 ", " counters.reduce_output_records=7",
		" counters.user.lines=12949", " counters.user.words=3"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary line lacks%s: %s", want, b.String())
		}
	}
}
