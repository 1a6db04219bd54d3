// Tests of group commit on a fake file whose fsyncs the test holds and
// fails: sharing, poisoning, flushing on Close.

package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeFile is a file in memory that counts writes and syncs. If gated,
// each Sync announces itself on syncing and returns what the test sends
// on release.
type fakeFile struct {
	syncing chan struct{}
	release chan error
	gated   bool

	// mu guards data, writes, syncs, closed and writeErr.
	mu       sync.Mutex
	data     bytes.Buffer
	writes   int
	syncs    int
	closed   bool
	writeErr error
}

func newGatedFile() *fakeFile {
	return &fakeFile{syncing: make(chan struct{}), release: make(chan error), gated: true}
}

func (f *fakeFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	return f.data.Write(p)
}

func (f *fakeFile) Sync() error {
	f.mu.Lock()
	f.syncs++
	f.mu.Unlock()
	if !f.gated {
		return nil
	}
	f.syncing <- struct{}{}
	return <-f.release
}

func (f *fakeFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// counts returns the writes and syncs so far.
func (f *fakeFile) counts() (writes, syncs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, f.syncs
}

// records decodes what was written to f.
func (f *fakeFile) records(t *testing.T) []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	entries, valid, reason := scan(bytes.Clone(f.data.Bytes()))
	if valid != f.data.Len() {
		t.Fatalf("written bytes do not decode: %s", reason)
	}
	return entries
}

// waitQueued waits until n records wait for the writer. The writer is
// held in a gated Sync meanwhile, so the count only grows.
func waitQueued(j *Journal, n int) {
	for {
		j.mu.Lock()
		queued := j.pending.records
		j.mu.Unlock()
		if queued >= n {
			return
		}
		runtime.Gosched()
	}
}

// appendWhileSyncing starts an Append of first, waits until the writer
// is in its fsync, then starts n more Appends and waits until they are
// queued behind it. Every Append's error goes to the returned channel.
func appendWhileSyncing(j *Journal, f *fakeFile, n int) <-chan error {
	errs := make(chan error, n+1)
	go func() { errs <- j.Append(0, []byte("first")) }()
	<-f.syncing
	for i := range n {
		go func() { errs <- j.Append(1, fmt.Appendf(nil, "r%d", i)) }()
	}
	waitQueued(j, n)
	return errs
}

func TestAppendsQueuedDuringAnFsyncShareTheNext(t *testing.T) {
	const n = 50
	f := newGatedFile()
	j := start(f, "fake", Repair{})
	errs := appendWhileSyncing(j, f, n)
	f.release <- nil // the first record is on disk
	<-f.syncing      // the n others, in one group
	f.release <- nil
	for range n + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if writes, syncs := f.counts(); writes != 2 || syncs != 2 {
		t.Fatalf("%d appends cost %d writes and %d syncs, want 2 of each", n+1, writes, syncs)
	}
	got := f.records(t)
	if len(got) != n+1 || string(got[0].Payload) != "first" {
		t.Fatalf("wrote %d records, first %q", len(got), got[0].Payload)
	}
	if err := j.Close(); err != nil || !f.closed {
		t.Fatalf("Close: %v, file closed %v", err, f.closed)
	}
}

func TestFailedSyncFailsItsGroupAndPoisonsTheJournal(t *testing.T) {
	f := newGatedFile()
	j := start(f, "fake", Repair{})
	errs := appendWhileSyncing(j, f, 3)
	boom := errors.New("disk on fire")
	f.release <- boom
	for range 4 { // the failed group's caller, and the group queued behind it
		if err := <-errs; !errors.Is(err, boom) {
			t.Fatalf("Append: %v, want %v", err, boom)
		}
	}
	if writes, _ := f.counts(); writes != 1 {
		t.Fatalf("%d writes: the group behind a failed sync was written", writes)
	}
	checkPoisoned(t, j, boom)
}

func TestFailedWriteReachesTheCallerAndPoisonsTheJournal(t *testing.T) {
	boom := errors.New("no space left on device")
	f := &fakeFile{writeErr: boom}
	j := start(f, "fake", Repair{})
	if err := j.Append(1, []byte("x")); !errors.Is(err, boom) {
		t.Fatalf("Append: %v, want %v", err, boom)
	}
	if _, syncs := f.counts(); syncs != 0 {
		t.Fatalf("%d syncs after a failed write", syncs)
	}
	checkPoisoned(t, j, boom)
}

// checkPoisoned checks that every call on j fails with cause, Close too,
// and that Close still closes the file.
func checkPoisoned(t *testing.T, j *Journal, cause error) {
	t.Helper()
	for name, err := range map[string]error{
		"Append":      j.Append(2, []byte("later")),
		"appendAsync": j.appendAsync(2, []byte("later")),
		"Sync":        j.sync(),
		"Close":       j.Close(),
		"Close again": j.Close(),
	} {
		if !errors.Is(err, cause) {
			t.Errorf("%s on a poisoned journal: %v, want %v", name, err, cause)
		}
	}
	if !j.f.(*fakeFile).closed {
		t.Error("Close left the file open")
	}
}

func TestSyncWaitsForAsynchronousRecords(t *testing.T) {
	f := newGatedFile()
	j := start(f, "fake", Repair{})
	if err := j.appendAsync(1, []byte("async")); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error)
	go func() { synced <- j.sync() }()
	<-f.syncing
	if got := f.records(t); len(got) != 1 {
		t.Fatalf("%d records written before the fsync, want 1", len(got))
	}
	f.release <- nil
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	f.gated = false // the writer is idle: no Sync of f is under way
	if err := j.sync(); err != nil {
		t.Fatal(err)
	}
	if _, syncs := f.counts(); syncs != 1 {
		t.Fatalf("%d fsyncs, want 1: a Sync with nothing queued costs none", syncs)
	}
	closeT(t, j)
}

func TestCloseFlushesQueuedRecords(t *testing.T) {
	f := &fakeFile{}
	j := start(f, "fake", Repair{})
	for i := range 10 {
		if err := j.appendAsync(byte(i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	closeT(t, j)
	if got := f.records(t); len(got) != 10 || !f.closed {
		t.Fatalf("after Close: %d records written, file closed %v", len(got), f.closed)
	}
}

func TestConcurrentAppendsAllReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	const appenders, each = 8, 25
	var wg sync.WaitGroup
	for a := range appenders {
		wg.Go(func() {
			for i := range each {
				if err := j.Append(byte(a), fmt.Appendf(nil, "%d", i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	closeT(t, j)
	j, got := openT(t, path)
	closeT(t, j)
	next := make([]int, appenders) // each appender's records, in its order
	for _, e := range got {
		if want := fmt.Sprint(next[e.Kind]); string(e.Payload) != want {
			t.Fatalf("appender %d: record %q, want %q", e.Kind, e.Payload, want)
		}
		next[e.Kind]++
	}
	if len(got) != appenders*each {
		t.Fatalf("%d records, want %d", len(got), appenders*each)
	}
}

// countingFile is a journal's file that counts its fsyncs.
type countingFile struct {
	*os.File
	syncs *atomic.Int64
}

func (f countingFile) Sync() error {
	f.syncs.Add(1)
	return f.File.Sync()
}

func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 4, 64} {
		b.Run(fmt.Sprintf("appenders=%d", n), func(b *testing.B) { benchmarkAppend(b, n) })
	}
}

// benchmarkAppend appends b.N records of 100 bytes from appenders
// goroutines to a journal on disk.
func benchmarkAppend(b *testing.B, appenders int) {
	var syncs atomic.Int64
	j, _, err := open(filepath.Join(b.TempDir(), "journal"), func(f *os.File) file {
		return countingFile{f, &syncs}
	})
	if err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 100)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range appenders {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := j.Append(1, payload); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(syncs.Load())/float64(b.N), "syncs/record")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
}
