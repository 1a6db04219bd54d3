// config_test.go: what the configuration decides for the workers: how
// often they heartbeat.

package coordinator

import (
	"testing"
	"time"

	"mapreduce/internal/protocol"
)

// Workers heartbeat eight times per heartbeat timeout, and at least every
// 500 ms; the registration tells them.
func TestWorkersHeartbeatAsTheTimeoutAllows(t *testing.T) {
	for _, tt := range []struct{ timeout, every time.Duration }{
		{4 * time.Second, 500 * time.Millisecond}, // the default: as workers always did
		{400 * time.Millisecond, 50 * time.Millisecond},
		{time.Hour, 500 * time.Millisecond},
	} {
		if got := heartbeatEvery(tt.timeout); got != tt.every {
			t.Errorf("heartbeat timeout %s: heartbeats every %s, want %s", tt.timeout, got, tt.every)
		}
	}
	cfg := testConfig(t.TempDir())
	cfg.HeartbeatTimeout = 800 * time.Millisecond
	c := newTestCoordinator(t, cfg)
	var reply protocol.RegisterReply
	c.mu.Lock()
	c.registeredLocked(&reply, "w1", nil, time.Now())
	c.mu.Unlock()
	if reply.HeartbeatEvery != int64(100*time.Millisecond) {
		t.Errorf("a registration says to heartbeat every %s, want 100ms", time.Duration(reply.HeartbeatEvery))
	}
}

// Map tasks absorb others up to 4 × the split size by default, never with
// -absorb-size 1, nor in a journaled or a streaming job.
func TestAbsorbingIsOffWithAJournalOrCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*Config)
		want int64
	}{
		{"default", func(*Config) {}, 4 * 1000},
		{"-absorb-size 1", func(c *Config) { c.AbsorbSize = 1 }, 0},
		{"-absorb-size 5000", func(c *Config) { c.AbsorbSize = 5000 }, 5000},
		{"-journal", func(c *Config) { c.Journal = true }, 0},
		{"streaming", func(c *Config) { c.Stream = &protocol.Stream{Mapper: "cat", Reducer: "wc -l"} }, 0},
	} {
		cfg := Config{SplitSize: 1000}
		tt.set(&cfg)
		cfg, err := cfg.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		c := &Coordinator{cfg: cfg}
		if got := c.absorbBytes(); got != tt.want {
			t.Errorf("%s: absorbs up to %d bytes, want %d", tt.name, got, tt.want)
		}
	}
}
