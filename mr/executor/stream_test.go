// Tests of the streaming runner (a mapper and reducer as shell commands).

package executor

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
)

// The stream runner's tests run sh, which every Linux machine has.

// streamMapTask is a map attempt of a streaming job with mapper over
// contents, as input name.
func streamMapTask(t *testing.T, mapper, name, contents string) *Task {
	task := mapTaskFor(t, t.TempDir(), name, contents)
	task.Stream = &protocol.Stream{Mapper: mapper, Reducer: "cat"}
	return task
}

// mapRecords runs mapper over contents and returns its records, "key|value".
func mapRecords(t *testing.T, mapper, contents string) []string {
	var got []string
	r := mapRun{mapper: mapper, dir: t.TempDir(), attempt: "map-0.a1", nReduce: 1}
	err := r.run("in.txt", contents, func(k, v string) {
		got = append(got, k+"|"+v)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStreamMapperLinesSplitAtTheFirstTab(t *testing.T) {
	got := mapRecords(t, `cat; printf 'a\tb\tc\nwhole line'`, "x\ty\nz\n")
	want := []string{"x|y", "z|", "a|b\tc", "whole line|"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("records %q, want %q", got, want)
	}
}

func TestStreamMapperSeesItsInputAndParams(t *testing.T) {
	var got []string
	r := mapRun{mapper: `echo "$mapreduce_map_input_file $min_len $PWD"`, dir: t.TempDir(), attempt: "map-0.a1", nReduce: 1,
		params: map[string]string{"min.len": "3"}}
	err := r.run("books/a.txt", "", func(k, v string) { got = append(got, k) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "books/a.txt 3 /") {
		t.Fatalf("the mapper saw %q, want its input's name, the parameter min.len as $min_len and its directory", got)
	}
}

// captureStreamLog sends the commands' logged stderr to a buffer for
// the test.
func captureStreamLog(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	old := StreamLog
	StreamLog = &b
	t.Cleanup(func() { StreamLog = old })
	return &b
}

func TestStreamCountersFromStderr(t *testing.T) {
	log := captureStreamLog(t)
	task := streamMapTask(t, `echo reporter:counter:Words,long,5 >&2; echo reporter:counter:Words,long,2 >&2; echo said >&2; cat`, "in.txt", "a\n")
	res := InProcess{}.Run(context.Background(), task, func(int64) {})
	if res.failed() {
		t.Fatal(res.Err)
	}
	if got := res.Counters.User["Words.long"]; got != 7 {
		t.Errorf("counter Words.long = %d, want 7 (%v)", got, res.Counters.User)
	}
	if !strings.Contains(log.String(), "map-0.a1: said") || strings.Contains(log.String(), "reporter:") {
		t.Errorf("logged stderr %q: want the other line, tagged with the attempt, and no counter", log.String())
	}
}

func TestStreamNonZeroExitFailsWithItsLastStderr(t *testing.T) {
	captureStreamLog(t)
	task := streamMapTask(t, `cat >/dev/null; echo first >&2; echo "bad record 7" >&2; exit 3`, "poison.txt", "a\n")
	res := InProcess{}.Run(context.Background(), task, func(int64) {})
	if !res.failed() || !res.App {
		t.Fatalf("result %+v: want the app's failure", res)
	}
	for _, want := range []string{"mapper `cat", "input poison.txt", "exited with status 3", "bad record 7"} {
		if !strings.Contains(res.Err, want) {
			t.Errorf("error %q does not say %q", res.Err, want)
		}
	}
	if strings.Contains(res.Err, "\n") {
		t.Errorf("error %q is not one line", res.Err)
	}
}

func TestStreamHugeStderrIsBounded(t *testing.T) {
	log := captureStreamLog(t)
	task := streamMapTask(t, `yes 'noise noise noise noise' | head -c 50000000 >&2; cat`, "in.txt", "a\n")
	res := InProcess{}.Run(context.Background(), task, func(int64) {})
	if res.failed() {
		t.Fatal(res.Err)
	}
	if log.Len() > stderrLogged+4096 || !strings.Contains(log.String(), "more bytes on stderr, not logged") {
		t.Fatalf("logged %d bytes of 50 MB of stderr, want at most %d and a note of the rest", log.Len(), stderrLogged+4096)
	}
}

func TestStreamReducerKeysMustNotDecrease(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte("a\n"), 0o644)
	s := &protocol.Stream{Mapper: "cat", Reducer: `cat >/dev/null; printf 'b\t1\na\t2\n'`}
	err := SequentialStream(s, nil, []string{in}, input.Options{Split: input.DefaultSplit, WholeFiles: true},
		Reference{NReduce: 1}, filepath.Join(dir, "out"))
	if err == nil || !strings.Contains(err.Error(), `wrote the key "a" after "b"`) {
		t.Fatalf("err %v: want the reducer's decreasing key refused", err)
	}
}

func TestSequentialStreamWordCount(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for i, text := range []string{"the cat\nthe dog\n", "a dog\n"} {
		inputs = append(inputs, filepath.Join(dir, "in-"+strconv.Itoa(i)))
		os.WriteFile(inputs[i], []byte(text), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "count.awk"), []byte("{ n[$1]++ } END { for (k in n) print k \"\\t\" n[k] }\n"), 0o644)
	s := &protocol.Stream{Mapper: `awk '{ for (i = 1; i <= NF; i++) print $i "\t1" }'`,
		Reducer: `awk -f count.awk | sort`}
	out := filepath.Join(dir, "out")
	err := SequentialStream(s, map[string]string{"count.awk": filepath.Join(dir, "count.awk")}, inputs,
		input.Options{Split: input.DefaultSplit, WholeFiles: true}, Reference{NReduce: 1}, out)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if want := "a 1\ncat 1\ndog 2\nthe 2\n"; string(got) != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

// streamChildForTest is an executor running this test binary as a
// streaming job's app's process, with an attempt limit.
func streamChildForTest(t *testing.T, limit time.Duration) *Child {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := NewChild([]string{exe}, io.Discard)
	e.setEnv([]string{"MR_TEST_EXECUTOR=stream"})
	e.SetLimits(limit, 0)
	t.Cleanup(e.Close)
	return e
}

func TestStreamHangIsKilledByTheAttemptLimit(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	task := streamMapTask(t, "sleep 1000 & echo $! > "+pidFile+"; wait", "in.txt", "a\n")
	e := streamChildForTest(t, 2*time.Second)
	res := e.Run(context.Background(), task, func(int64) {})
	if !res.App || !strings.Contains(res.Err, "made no progress for 2s") {
		t.Fatalf("result %+v: want the attempt killed as the app's failure", res)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for deadline := time.Now().Add(30 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the mapper's own child %d outlived its killed attempt", pid)
		}
	}
	// The next attempt gets a fresh process (with no limit: a loaded
	// machine may take a second to start it).
	e.SetLimits(0, 0)
	task = streamMapTask(t, "cat", "in.txt", "b\n")
	if res := e.Run(context.Background(), task, func(int64) {}); res.failed() {
		t.Fatalf("the next attempt failed: %s", res.Err)
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func TestStreamCombinerRunsOverTheMapsRecordsSorted(t *testing.T) {
	task := streamMapTask(t, "cat", "in.txt", "b\t1\na\t1\nb\t1\nb\t1\n")
	task.Stream.Combiner = `awk -F'\t' '$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k "\t" n }'`
	res := InProcess{}.Run(context.Background(), task, func(int64) {})
	if res.failed() {
		t.Fatal(res.Err)
	}
	if c := res.Counters; c.MapOutputRecords != 4 || c.CombinedAway != 2 {
		t.Fatalf("map output records %d, combined away %d: want the mapper's 4, 2 of them combined away (a sorted batch)",
			c.MapOutputRecords, c.CombinedAway)
	}
}

func TestStreamMapperRunsOncePerInputOfItsTask(t *testing.T) {
	dir := t.TempDir()
	split := filepath.Join(dir, "split")
	os.WriteFile(split, []byte("a\nbb\n"), 0o644)
	task := &Task{Kind: protocol.MapTask, Name: "map-0.a1", NReduce: 0, SplitPath: split, Scratch: dir,
		Inputs: []Input{{Name: "one.txt", Length: 2}, {Name: "two.txt", Length: 3}},
		Stream: &protocol.Stream{Mapper: `printf '%s\t%s\n' "$mapreduce_map_input_file" "$(cat)"`}}
	res := InProcess{}.Run(context.Background(), task, func(int64) {})
	if res.failed() {
		t.Fatal(res.Err)
	}
	var got []string
	r := runfile.NewMerger([]*runfile.Reader{runfile.NewReader(bytes.NewReader(res.Out.Data), int64(len(res.Out.Data)))})
	for r.Next() {
		got = append(got, string(r.Key())+"="+string(r.Value()))
	}
	if strings.Join(got, ",") != "one.txt=a,two.txt=bb" {
		t.Fatalf("records %q: want one mapper per input, each with its own name and text", got)
	}
}

func TestStreamCommandPastTheMemoryLimitIsKilled(t *testing.T) {
	task := streamMapTask(t, `x=$(head -c 400000000 /dev/zero | tr '\0' x); sleep 1000`, "in.txt", "a\n")
	e := streamChildForTest(t, 0)
	e.SetLimits(0, 128<<20)
	res := e.Run(context.Background(), task, func(int64) {})
	if !res.App || !strings.Contains(res.Err, "over the limit of 128 MiB") {
		t.Fatalf("result %+v: want the attempt killed for its command's memory", res)
	}
}
