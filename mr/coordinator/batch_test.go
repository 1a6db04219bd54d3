// ReportReduces: a batch's reports are applied each as ReportReduce's
// would be, sent again are accepted again, and out of bounds none is.

package coordinator

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr/scheduler"
)

// batchReports is a report per attempt of a batch, reduce task Y's
// output holding the key "kY".
func batchReports(t *testing.T, id string, next *protocol.GetTaskReply) []protocol.ReportReduceArgs {
	tasks := append([]protocol.BatchTask{{Task: next.Task, Attempt: next.Attempt}}, next.Batch...)
	var reports []protocol.ReportReduceArgs
	for _, b := range tasks {
		run := runBytes(t, "k"+strconv.Itoa(b.Task), "1")
		reports = append(reports, protocol.ReportReduceArgs{Attempt: protocol.Attempt{WorkerID: id, Kind: protocol.ReduceTask,
			Task: b.Task, N: b.Attempt}, Run: run, CRC: crcOf(run)})
	}
	return reports
}

func TestReportReducesAppliesEachReport(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.NReduce = 40
	c, err := New(cfg, testInputs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	c.dirs.workDir = t.TempDir()
	t.Cleanup(func() { c.front.ln.Close() })
	var id string
	var first protocol.GetTaskReply
	c.update(func(s *scheduler.Scheduler, now time.Time) {
		id, _ = s.Register(scheduler.Registration{App: "wc", Addr: "127.0.0.1:9"}, now)
		m := s.Assign(id, scheduler.AskIdle, now)
		s.Done(protocol.Attempt{WorkerID: id, Kind: protocol.MapTask, Task: m.Task, N: m.Attempt}, scheduler.Output{Runs: cfg.NReduce}, now)
		first = s.Assign(id, scheduler.AskIdle, now)
	})
	r := &coordRPC{c: c, peer: "test"}
	r.bind(id)
	var one protocol.ReportReply
	r.ReportReduce(&batchReports(t, id, &first)[0], &one)
	if !one.Accepted || one.Next == nil || len(one.Next.Batch) < 2 {
		t.Fatalf("the first reduce's report: %+v, want accepted with a batch next", one)
	}
	reports := batchReports(t, id, one.Next)
	reports[1].CRC++ // its upload is rejected: that attempt fails, alone
	var reply protocol.ReportReducesReply
	r.ReportReduces(&protocol.ReportReducesArgs{Reports: reports}, &reply)
	if len(reply.Accepted) != len(reports) || reply.Accepted[1] || !reply.Accepted[0] || !reply.Accepted[2] || reply.Next == nil {
		t.Fatalf("batch reply %+v: want all but the second accepted, and a next assignment", reply)
	}
	for i, rep := range reports {
		b, err := os.ReadFile(filepath.Join(cfg.OutDir, outputName(rep.Attempt.Task)))
		want := "k" + strconv.Itoa(rep.Attempt.Task) + " 1\n"
		if i == 1 {
			if err == nil || attemptOutcome(c, rep.Attempt) != "failed" {
				t.Errorf("%s rejected: output %q, outcome %s", rep.Attempt, b, attemptOutcome(c, rep.Attempt))
			}
		} else if string(b) != want {
			t.Errorf("mr-out-%d holds %q (%v), want %q", rep.Attempt.Task, b, err, want)
		}
	}
	// Sent again (its answer lost): accepted as it was, the same next.
	var again protocol.ReportReducesReply
	r.ReportReduces(&protocol.ReportReducesArgs{Reports: reports}, &again)
	if !slices.Equal(again.Accepted, reply.Accepted) || again.Next == nil || again.Next.Task != reply.Next.Task ||
		again.Next.Attempt != reply.Next.Attempt || len(again.Next.Batch) != len(reply.Next.Batch) {
		t.Fatalf("repeated batch reply %+v, want as the first %+v", again, reply)
	}
	// Out of bounds: nothing applied.
	next := batchReports(t, id, reply.Next)
	mixed := append([]protocol.ReportReduceArgs(nil), next...)
	mixed[len(mixed)-1].Attempt.WorkerID = "w9"
	big := append([]protocol.ReportReduceArgs(nil), next...)
	big[0].Run = make([]byte, protocol.MaxInlineReduce)
	for name, bad := range map[string][]protocol.ReportReduceArgs{"another worker's": mixed, "too large": big,
		"too many": make([]protocol.ReportReduceArgs, protocol.MaxReduceBatch+1), "empty": nil} {
		var reply protocol.ReportReducesReply
		r.ReportReduces(&protocol.ReportReducesArgs{Reports: bad}, &reply)
		if len(reply.Accepted) != 0 || reply.Next != nil {
			t.Errorf("%s batch answered %+v", name, reply)
		}
	}
	if out := attemptOutcome(c, next[0].Attempt); out != "running" {
		t.Errorf("after refused batches, %s is %s", next[0].Attempt, out)
	}
}
