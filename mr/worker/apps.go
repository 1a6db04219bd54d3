// apps.go is a pool worker's cache of app plugins, apps/ of its
// directory (and of a streaming job's shipped files, each one a build
// of its own, kept under the same name whatever it holds): each plugin
// kept as <build>.so (its SHA-256, hex), at most
// keep of them once one loaded (keep+1 while a new one is tried), the
// least recently used evicted; a plugin larger than maxSize refused
// before a byte of it is written; a plugin that was declined removed at
// once, evicting nothing; anything else found there removed.

package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mapreduce/internal/atomicfile"
)

// Defaults of PoolConfig.
const (
	defaultKeepApps  = 4
	defaultMaxPlugin = 1 << 30 // what a coordinator ships at most
)

// appCache is apps/: plugins by build.
type appCache struct {
	dir     string
	keep    int   // plugins kept at most
	maxSize int64 // the largest plugin accepted, bytes
	now     func() time.Time
}

// openAppCache opens (making it) the cache in dir, removing what is no
// plugin of it (a fetch's leftover, junk) and evicting beyond keep.
func openAppCache(dir string, keep int, maxSize int64) (*appCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	a := &appCache{dir: dir, keep: keep, maxSize: maxSize, now: time.Now}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if build, ok := strings.CutSuffix(e.Name(), ".so"); !ok || !validBuild(build) || !e.Type().IsRegular() {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	a.evict()
	return a, nil
}

// validBuild reports whether build names a plugin as jobs do: 64
// lowercase hex digits (a SHA-256). A peer's build is used as a file name
// only once it passed.
func validBuild(build string) bool {
	if len(build) != 64 {
		return false
	}
	for _, c := range []byte(build) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// path is where build's plugin is kept.
func (a *appCache) path(build string) string { return filepath.Join(a.dir, build+".so") }

// lookup returns the path of build's plugin if it is held intact.
func (a *appCache) lookup(build string) (string, bool) {
	path := a.path(build)
	if sum, err := PluginBuild(path); err != nil || sum != build {
		return "", false
	}
	return path, true
}

// use marks build's plugin used now (it loaded), and evicts the least
// recently used others beyond keep.
func (a *appCache) use(build string) { a.useAll([]string{build}) }

// useAll marks the files of builds (a streaming job's shipped files)
// used now, and evicts the least recently used others beyond keep, or
// beyond them all if they are more.
func (a *appCache) useAll(builds []string) {
	now := a.now()
	for _, b := range builds {
		os.Chtimes(a.path(b), now, now)
	}
	a.evict(builds...)
}

// fetch writes build's plugin, size bytes that get writes, checking its
// SHA-256; use or drop follows, once it is known whether it loads. A size
// over maxSize is refused before anything is written.
func (a *appCache) fetch(build string, size int64, get func(io.Writer) error) (string, error) {
	if !validBuild(build) {
		return "", fmt.Errorf("mr: the coordinator names no valid build of its app (%q)", build)
	}
	if size < 0 || size > a.maxSize {
		return "", fmt.Errorf("mr: the coordinator's app plugin is %d bytes, more than this pool worker accepts (%d)", size, a.maxSize)
	}
	path := a.path(build)
	f, err := atomicfile.CreateScratch(path)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	h := sha256.New()
	if err := get(io.MultiWriter(f, h)); err != nil {
		return "", fmt.Errorf("mr: fetching the app's plugin: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != build {
		return "", fmt.Errorf("mr: the app's plugin has SHA-256 %.12s, the coordinator named %.12s", got, build)
	}
	if err := f.Commit(); err != nil {
		return "", err
	}
	return path, nil
}

// drop removes build's plugin: it was declined, and is not kept.
func (a *appCache) drop(build string) {
	if validBuild(build) {
		os.Remove(a.path(build))
	}
}

// evict removes the least recently used plugins beyond keep, never
// those of inUse.
func (a *appCache) evict(inUse ...string) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return
	}
	type kept struct {
		name string
		used time.Time
	}
	var all []kept
	for _, e := range ents {
		if build, ok := strings.CutSuffix(e.Name(), ".so"); !ok || slices.Contains(inUse, build) {
			continue
		}
		if info, err := e.Info(); err == nil {
			all = append(all, kept{e.Name(), info.ModTime()})
		}
	}
	room := a.keep - len(inUse)
	slices.SortFunc(all, func(x, y kept) int { return y.used.Compare(x.used) }) // the most recent first
	for _, k := range all[min(max(room, 0), len(all)):] {
		os.Remove(filepath.Join(a.dir, k.name))
	}
}
