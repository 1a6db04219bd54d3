// apps_test.go: a pool worker's cache of plugins stays bounded, refuses
// what a coordinator names before writing it, and drops junk.

package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plugin is a made-up plugin's bytes and build.
func plugin(i int) ([]byte, string) {
	b := []byte(fmt.Sprintf("plugin %d\n", i))
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// testCache is a cache keeping 4 plugins of at most 1 KiB, whose clock
// moves a second at each use.
func testCache(t *testing.T, dir string) *appCache {
	t.Helper()
	a, err := openAppCache(dir, 4, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	a.now = func() time.Time { now = now.Add(time.Second); return now }
	return a
}

func put(t *testing.T, a *appCache, b []byte, build string) string {
	t.Helper()
	path, err := a.fetch(build, int64(len(b)), func(w io.Writer) error { _, err := w.Write(b); return err })
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// files lists dir's entries and their total size.
func files(t *testing.T, dir string) ([]string, int64) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var size int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		names, size = append(names, e.Name()), size+info.Size()
	}
	return names, size
}

// After 50 distinct builds and two junk plugins declined, apps/ holds
// the 4 most recently used builds and nothing else: a build used again
// and again is kept over newer ones, and junk evicts nothing.
func TestAppCacheStaysBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apps")
	a := testCache(t, dir)
	_, keepBuild := plugin(0)
	for i := range 50 {
		b, build := plugin(i)
		put(t, a, b, build)
		a.use(build) // it loaded
		if _, ok := a.lookup(keepBuild); !ok {
			t.Fatalf("build 0 gone after %d builds", i+1)
		}
		a.use(keepBuild) // a job of build 0 again
	}
	for i := range 2 { // junk: fetched, then declined (it cannot load)
		junk := []byte(fmt.Sprintf("junk %d", i))
		sum := sha256.Sum256(junk)
		build := hex.EncodeToString(sum[:])
		put(t, a, junk, build)
		a.drop(build)
	}
	names, size := files(t, dir)
	if len(names) != 4 || size > 4<<10 {
		t.Fatalf("apps/ holds %d files of %d bytes, want at most 4 and 4 KiB: %v", len(names), size, names)
	}
	for _, i := range []int{0, 47, 48, 49} {
		if _, build := plugin(i); !contains(names, build+".so") {
			t.Errorf("build %d evicted: %v", i, names)
		}
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// What a coordinator names is checked before anything is written: a
// plugin larger than the cap, a build that is no SHA-256 (a path), bytes
// that are not the build named.
func TestAppCacheRefusesBeforeWriting(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "apps")
	a := testCache(t, dir)
	called := false
	get := func(w io.Writer) error { called = true; _, err := w.Write([]byte("x")); return err }
	_, build := plugin(1)
	if _, err := a.fetch(build, 4<<30, get); err == nil || !strings.Contains(err.Error(), "more than this pool worker accepts") || called {
		t.Fatalf("a 4 GiB plugin: %v (fetched: %v)", err, called)
	}
	bad := "../../" + strings.Repeat("a", 58)
	if _, err := a.fetch(bad, 1, get); err == nil || called {
		t.Fatalf("build %q: %v (fetched: %v)", bad, err, called)
	}
	if _, err := a.fetch(strings.ToUpper(build), 1, get); err == nil || called {
		t.Fatalf("an upper-case build: %v", err)
	}
	if _, err := a.fetch(build, 1, get); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("bytes of another build: %v", err)
	}
	if names, _ := files(t, dir); len(names) != 0 {
		t.Fatalf("apps/ holds %v", names)
	}
	if names, _ := files(t, root); len(names) != 1 {
		t.Fatalf("beside apps/: %v", names)
	}
}

// Opening the cache removes what is no plugin of it: a fetch's leftover,
// junk, files named by no build.
func TestAppCacheOpenRemovesJunk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apps")
	b, build := plugin(2)
	for name, data := range map[string][]byte{build + ".so": b, "." + build + ".so.123.tmp": b, "junk": b, "x.so": b} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := testCache(t, dir)
	if names, _ := files(t, dir); len(names) != 1 || names[0] != build+".so" {
		t.Fatalf("apps/ holds %v", names)
	}
	if _, ok := a.lookup(build); !ok {
		t.Fatal("the plugin kept is not found")
	}
}

// A pool worker without a job secret starts only when told to accept
// any local user's code; without -dir, its temp dir is gone when Run
// returns.
func TestPoolWithoutSecretNeedsConsentAndCleansUp(t *testing.T) {
	cfg := Config{Coordinator: "127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := NewPool(cfg, PoolConfig{}, nil, io.Discard); !errors.Is(err, errInsecurePool) ||
		!strings.Contains(err.Error(), "-insecure-accept-code") {
		t.Fatalf("NewPool without a secret: %v", err)
	}
	p, err := NewPool(cfg, PoolConfig{InsecureAcceptCode: true}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "apps")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.dir); !os.IsNotExist(err) {
		t.Fatalf("the pool's temp dir %s outlived it: %v", p.dir, err)
	}
}

// A job's id names a directory beside apps/ only if it is a plain name.
func TestPoolChecksJobID(t *testing.T) {
	for id, ok := range map[string]bool{"0123abcd": true, "job_1-A": true, "": false, "../x": false, "a/b": false,
		"..": false, strings.Repeat("a", 65): false} {
		if validJob(id) != ok {
			t.Errorf("validJob(%q) = %v", id, !ok)
		}
	}
}

// A streaming job's files are builds of their own: more of them than
// the cache keeps are all kept while their job runs, and every other
// build goes.
func TestAppCacheKeepsAStreamingJobsFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apps")
	a := testCache(t, dir)
	b, old := plugin(100)
	put(t, a, b, old)
	a.use(old)
	var job []string
	for i := range 6 {
		b, build := plugin(i)
		put(t, a, b, build)
		job = append(job, build)
	}
	a.useAll(job)
	names, _ := files(t, dir)
	if len(names) != 6 || contains(names, old+".so") {
		t.Fatalf("apps/ holds %v: want the job's 6 files and nothing else", names)
	}
}
