// journal_test.go: a journaled job restarted during its final merge.

package coordinator

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/scheduler"
)

// A coordinator killed during the final merge, after its last reduce was
// journaled and before the job's end: run again, it finds every reduce
// output intact (one kept as a run file, one, as a large output is, as
// its text and a lengths file), merges them at once with no worker at all, and ends the
// job; it waits for the worker the journal names to come back and hear
// Exit (that worker waits out its restart window otherwise); run once
// more, it says the job is finished.
func TestRestartDuringTheFinalMerge(t *testing.T) {
	cfg0 := testConfig(t.TempDir())
	cfg0.Journal, cfg0.NReduce = true, 2
	inputs := testInputs(t, 1)
	cfg, err := cfg0.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	jr, err := openJournal(cfg, inputs, cutTasks(t, cfg, inputs))
	if err != nil {
		t.Fatal(err)
	}
	if err := jr.append(recStart, startRecord{At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := jr.append(recApp, appRecord{Name: "wc"}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(jr.runs, 0o755)
	for r, kv := range [][]string{{"alpha", "2"}, {"beta", "1"}} {
		run := committedRunPath(jr.runs, r)
		if err := os.WriteFile(run, runBytes(t, kv...), 0o644); err != nil {
			t.Fatal(err)
		}
		text := filepath.Join(cfg.OutDir, outputName(r))
		if err := os.WriteFile(text, []byte(kv[0]+" "+kv[1]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		size, crc, _ := runfile.Checksum(run)
		tsize, tcrc, _ := runfile.Checksum(text)
		if r == 1 {
			writeLens(t, committedLensPath(jr.runs, r), runBytes(t, kv...), tcrc)
			os.Remove(run)
		}
		rec := commitRecord{Task: r, Attempt: 1, Worker: "w1", Written: size, RunCRC: crc, TextSize: tsize, TextCRC: tcrc}
		if err := jr.append(recReduce, rec); err != nil {
			t.Fatal(err)
		}
	}
	jr.log.Close()
	c, err := New(cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- c.Run(context.Background()) }()
	for {
		ch := c.Changed()
		if c.Summary().Phase == "done" {
			break
		}
		<-ch
	}
	select {
	case err := <-ran:
		t.Fatalf("the coordinator returned (%v) before its earlier worker came back", err)
	default:
	}
	c.update(func(s *scheduler.Scheduler, now time.Time) { // w1 registers again and asks for a task
		id, err := s.Register(scheduler.Registration{App: "wc", Addr: "127.0.0.1:9"}, now)
		if err != nil {
			t.Error(err)
			return
		}
		c.adoptLocked(s, id, &protocol.Offer{Job: c.job, Worker: "w1"}, now)
		if a := s.Assign(id, scheduler.AskIdle, now); a.Action != protocol.ActExit {
			t.Errorf("the returning worker was told %v, not to exit", a.Action)
		}
	})
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, "mr-wc-all"))
	if err != nil || string(b) != "alpha 2\nbeta 1\n" {
		t.Fatalf("mr-wc-all = %q, %v", b, err)
	}
	if sum := c.Summary(); len(sum.Restarts) != 1 || sum.Restarts[0].ReducesRecovered != 2 || len(sum.Workers) != 2 || !sum.Workers[0].Earlier {
		t.Fatalf("summary restarts %+v, workers %+v", sum.Restarts, sum.Workers)
	}
	if _, err := New(cfg, inputs); err == nil {
		t.Fatal("a finished job ran again")
	}
}

// writeLens writes at path the lengths file of the text of run, whose
// CRC is textCRC.
func writeLens(t *testing.T, path string, run []byte, textCRC uint32) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lens := runfile.NewLensWriter(f)
	if err := runfile.WriteTextStream(bytes.NewReader(run), int64(len(run)), io.Discard, lens); err != nil {
		t.Fatal(err)
	}
	if err := lens.Finish(textCRC); err != nil {
		t.Fatal(err)
	}
}
