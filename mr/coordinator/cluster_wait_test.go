// Workers started before their coordinator: they wait for it, and give
// up when it never comes.

package coordinator_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/mr/coordinator"
	"mapreduce/mr/worker"
)

// syncBuffer is a log that may be written and read concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A worker started before its coordinator waits for it, past LostAfter,
// saying once what it waits for; then the job runs as usual. Until the
// coordinator comes, its address is a listener that hangs up on every
// connection, so that each of the worker's tries can be counted: its
// tries back off 50, 100 and 200 ms, so a fifth try proves that it
// checked, over 350 ms after the first, past LostAfter (but not
// WaitCoordinator), and kept waiting.
func TestWorkerStartedFirstWaitsForCoordinator(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	tries := make(chan struct{}, 100)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
			tries <- struct{}{}
		}
	}()
	var log syncBuffer
	app := WordCount()
	cfg := Config(t.TempDir())
	cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	wc := WorkerConfig(addr, cfg, app, t.TempDir())
	wc.WaitCoordinator, wc.LostAfter = time.Hour, 200*time.Millisecond
	w, err := worker.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res := make(chan error, 1)
	go func() { res <- w.Run(context.Background()) }()
	for range 5 {
		<-tries
	}
	ln.Close()
	select {
	case err := <-res:
		t.Fatalf("worker gave up before its coordinator came: %v", err)
	default:
	}
	if got := log.String(); strings.Count(got, "waiting for the coordinator") != 1 ||
		!strings.Contains(got, `msg="waiting for the coordinator" coordinator=`+addr+" for=1h0m0s") {
		t.Fatalf("log:\n%s", got)
	}
	inputs := Inputs(t, 2)
	cfg.Addr = addr
	c, err := coordinator.New(cfg, inputs)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	cl := &Cluster{T: t, C: c, App: app, Out: cfg.OutDir, result: make(chan error, 1)}
	go func() { cl.result <- c.Run(context.Background()) }()
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	if err := <-res; err != nil {
		t.Fatalf("worker: %v", err)
	}
}

func TestWorkerWithNoCoordinatorGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	wc := WorkerConfig(addr, Config(t.TempDir()), WordCount(), t.TempDir())
	wc.WaitCoordinator = 300 * time.Millisecond
	w, err := worker.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "mr: coordinator lost: no coordinator answered at "+addr+" within 300ms") {
		t.Fatalf("Run = %v", err)
	}
}
