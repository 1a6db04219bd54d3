package mr

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// freeAddr is a loopback address nothing listens on (for a moment).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A worker started before its coordinator waits for it, past LostAfter,
// saying once what it waits for; then the job runs as usual.
func TestWorkerStartedFirstWaitsForCoordinator(t *testing.T) {
	var log syncBuffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	addr := freeAddr(t)
	w, err := NewWorker(WorkerConfig{Coordinator: addr, Listen: "127.0.0.1:0", HeartbeatInterval: 50 * time.Millisecond,
		LostAfter: 200 * time.Millisecond, WaitCoordinator: time.Minute, Logger: logger}, wordCount())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res := make(chan error, 1)
	go func() { res <- w.Run(context.Background()) }()
	waitLog(t, &log, `msg="waiting for the coordinator" coordinator=`+addr+" for=1m0s")
	time.Sleep(600 * time.Millisecond) // three times LostAfter: the property under test is about real time
	select {
	case err := <-res:
		t.Fatalf("worker gave up before its coordinator came: %v", err)
	default:
	}
	inputs := testInputs(t, 2)
	cfg := testConfig(t.TempDir())
	cfg.Addr, cfg.Logger = addr, logger
	c, err := NewCoordinator(cfg, inputs)
	if err != nil {
		t.Skipf("the free port was taken meanwhile: %v", err)
	}
	cl := &cluster{t: t, c: c, result: make(chan error, 1), out: cfg.OutDir}
	go func() { cl.result <- c.Run(context.Background()) }()
	if err := cl.wait(); err != nil {
		t.Fatal(err)
	}
	cl.checkOutput(wordCount(), inputs)
	if err := <-res; err != nil {
		t.Fatalf("worker: %v", err)
	}
	if n := strings.Count(log.String(), "waiting for the coordinator"); n != 1 {
		t.Fatalf("said it was waiting %d times", n)
	}
}

func TestWorkerWithNoCoordinatorGivesUp(t *testing.T) {
	addr := freeAddr(t)
	w, err := NewWorker(WorkerConfig{Coordinator: addr, Listen: "127.0.0.1:0",
		WaitCoordinator: 300 * time.Millisecond, Logger: quietLogger()}, wordCount())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	start := time.Now()
	err = w.Run(context.Background())
	if !errors.Is(err, ErrCoordinatorLost) || !strings.Contains(err.Error(), "no coordinator answered at "+addr+" within 300ms") {
		t.Fatalf("Run = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %s", d)
	}
}
