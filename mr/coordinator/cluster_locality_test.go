// In-process clusters whose workers hold the inputs (OSDI'04 §3.4: "most
// input data is read locally and consumes no network bandwidth"): every
// input on every worker, each input on 2 of 3, a coordinator with a
// manifest alone, a worker's copy with one byte changed, a holder killed
// mid-job, and an input swapped for a link once the job listed it.

package coordinator_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mapreduce/internal/auth"
	"mapreduce/internal/manifest"
	"mapreduce/internal/protocol"
	"mapreduce/internal/wire"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
)

// copyInputs copies into a new data directory each input for which hold
// says so, under its file name.
func copyInputs(t *testing.T, inputs []string, hold func(i int) bool) string {
	t.Helper()
	dir := t.TempDir()
	for i, in := range inputs {
		if hold(i) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			WriteFile(t, dir, filepath.Base(in), string(b))
		}
	}
	return dir
}

// startHolders starts a coordinator over inputs (or, with cfg.Manifest,
// over its manifest alone) and one worker per data directory.
func startHolders(t *testing.T, cfg coordinator.Config, inputs []string, app *mr.App, data []string) *Cluster {
	t.Helper()
	args := inputs
	if cfg.Manifest != "" {
		args = nil
	}
	cl := Start(t, cfg, args, app, 0)
	for _, d := range data {
		wc := WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir())
		wc.Data = d // "" holds nothing
		cl.AddWorker(wc)
	}
	return cl
}

// localityConfig is a test cluster's coordinator with small splits and
// blocks, so that splits begin and end mid-block.
func localityConfig(t *testing.T) coordinator.Config {
	cfg := Config(t.TempDir())
	cfg.SplitSize = 3000
	cfg.SetBlockSize(1024)
	return cfg
}

// sources is where the job's map input came from, as its summary counts.
func sources(t *testing.T, sum protocol.Summary) (local, peer, coord int64) {
	c := sum.Counters
	if total := c.LocalBytes + c.PeerBytes + c.CoordinatorBytes; total != c.MapInputBytes || total == 0 {
		t.Fatalf("bytes by source %d+%d+%d, map input bytes %d", c.LocalBytes, c.PeerBytes, c.CoordinatorBytes, c.MapInputBytes)
	}
	if maps := c.LocalMaps + c.PeerMaps + c.CoordinatorMaps; maps != int64(sum.Maps) {
		t.Fatalf("maps by source %d+%d+%d of %d", c.LocalMaps, c.PeerMaps, c.CoordinatorMaps, sum.Maps)
	}
	return c.LocalBytes, c.PeerBytes, c.CoordinatorBytes
}

func TestLocalityEveryInputOnEveryWorker(t *testing.T) {
	inputs := Inputs(t, 6)
	all := func(int) bool { return true }
	cfg := localityConfig(t)
	cl := startHolders(t, cfg, inputs, WordCount(), []string{copyInputs(t, inputs, all), copyInputs(t, inputs, all), copyInputs(t, inputs, all)})
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	local, _, coord := sources(t, sum)
	total := sum.Counters.MapInputBytes
	if local*100 < total*95 || coord*100 >= total*2 {
		t.Fatalf("%d of %d bytes read locally, %d from the coordinator", local, total, coord)
	}
}

// gatedWordCount is word count whose Map waits for the gate to open.
func gatedWordCount(gate chan struct{}) *mr.App {
	app := WordCount()
	mapf := app.Map
	app.Map = func(name, contents string) []mr.KeyValue {
		<-gate
		return mapf(name, contents)
	}
	return app
}

// waitMapping waits until n workers are running a map attempt each.
func (cl *Cluster) waitMapping(n int) {
	cl.WaitFor("every worker mapping", func(sum protocol.Summary) bool {
		busy := 0
		for _, w := range sum.Workers {
			busy += w.Outcomes["running"]
		}
		return busy == n
	})
}

// spread is 3 data directories holding each input on 2 of them.
func spread(t *testing.T, inputs []string) []string {
	var data []string
	for w := range 3 {
		data = append(data, copyInputs(t, inputs, func(i int) bool { return i%3 != w }))
	}
	return data
}

// waitHolding waits until n workers said they hold inputs.
func (cl *Cluster) waitHolding(n int) {
	cl.WaitFor("workers holding inputs", func(sum protocol.Summary) bool {
		holding := 0
		for _, w := range sum.Workers {
			if w.Holds > 0 {
				holding++
			}
		}
		return holding == n
	})
}

// Each input on 2 of 3 workers, and a fourth worker holding nothing,
// which joins once the others said what they hold: whatever a worker does
// not hold comes from a peer, never from the coordinator.
func TestLocalitySpread(t *testing.T) {
	inputs := Inputs(t, 6)
	gate := make(chan struct{})
	cfg := localityConfig(t)
	cfg.WaitWorkers = 4
	app := gatedWordCount(gate)
	cl := startHolders(t, cfg, inputs, app, spread(t, inputs))
	cl.waitHolding(3)
	cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, app, t.TempDir()))
	cl.waitMapping(4)
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	local, peer, coord := sources(t, cl.SummaryFile())
	if coord != 0 || local == 0 || peer == 0 {
		t.Fatalf("%d bytes local, %d from peers, %d from the coordinator", local, peer, coord)
	}
}

// writeManifest writes the manifest of inputs, in blocks of bs, and
// returns its path.
func writeManifest(t *testing.T, inputs []string, bs int64) string {
	t.Helper()
	m := &manifest.Manifest{BlockSize: bs}
	for _, in := range inputs {
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := manifest.Scan(f, filepath.Base(in), bs)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, mf)
	}
	path := filepath.Join(t.TempDir(), "corpus.manifest")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := m.Write(out); err != nil {
		t.Fatal(err)
	}
	return path
}

// A coordinator holding the manifest alone: the output is still
// mrsequential's over the inputs, and not a byte comes from it; a worker
// holding nothing reads from its peers.
func TestLocalityManifestOnly(t *testing.T) {
	inputs := Inputs(t, 6)
	cfg := localityConfig(t)
	cfg.Manifest = writeManifest(t, inputs, 1024)
	gate := make(chan struct{})
	cl := startHolders(t, cfg, inputs, gatedWordCount(gate), append(spread(t, inputs), ""))
	cl.waitMapping(4)
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	if _, peer, coord := sources(t, cl.SummaryFile()); coord != 0 || peer == 0 {
		t.Fatalf("%d bytes from a coordinator that holds no input, %d from peers", coord, peer)
	}
}

// A manifest job whose input nobody holds fails in one line naming it.
func TestLocalityManifestInputHeldByNobody(t *testing.T) {
	inputs := Inputs(t, 3)
	cfg := localityConfig(t)
	cfg.Manifest, cfg.HolderWait = writeManifest(t, inputs, 1024), 500*time.Millisecond
	cl := startHolders(t, cfg, inputs, WordCount(), []string{copyInputs(t, inputs, func(i int) bool { return i != 1 })})
	err := cl.Wait()
	if err == nil || !strings.Contains(err.Error(), filepath.Base(inputs[1])) || !strings.Contains(err.Error(), "500ms") {
		t.Fatalf("job ended with %v", err)
	}
}

// records keeps the log records of one message, for assertions on their
// attributes (never on text).
type records struct {
	slog.Handler
	msg string
	mu  sync.Mutex
	got []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }

func (r *records) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == r.msg {
		r.mu.Lock()
		r.got = append(r.got, rec.Clone())
		r.mu.Unlock()
	}
	return r.Handler.Handle(ctx, rec)
}

func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// attr is the value of attribute key of the record, "" if none.
func attr(rec slog.Record, key string) string {
	var v string
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
		}
		return true
	})
	return v
}

// A worker's copy with one byte changed, of the same size and time (a
// stat cannot tell): never in the output; the worker names the file once
// and the job goes on.
func TestLocalityCorruptCopy(t *testing.T) {
	inputs := Inputs(t, 4)
	dir := copyInputs(t, inputs, func(int) bool { return true })
	bad := filepath.Join(dir, filepath.Base(inputs[2]))
	st, err := os.Stat(bad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(bad)
	i := strings.Index(string(b), "gamma")
	b[i] = 'G' // gamma -> Gamma: another word, if it were counted
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(bad, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	cfg := localityConfig(t)
	rec := &records{Handler: cfg.Logger.Handler(), msg: "input copy not used"}
	cfg.Logger = slog.New(rec)
	cl := startHolders(t, cfg, inputs, WordCount(), []string{dir})
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 1 || attr(rec.got[0], "file") != bad {
		t.Fatalf("%d warnings about copies, want one naming %s", len(rec.got), bad)
	}
	sum := cl.SummaryFile()
	if _, _, coord := sources(t, sum); coord == 0 {
		t.Fatal("the changed copy's input did not come from the coordinator")
	}
	if w := sum.Workers[0]; len(w.Differ) != 1 || w.Differ[0] != filepath.Base(inputs[2]) {
		t.Fatalf("the job's summary names %v as differing copies, want [%s]", w.Differ, filepath.Base(inputs[2]))
	}
}

// A copy removed, or replaced by other bytes of the same size, after its
// worker listed it, while the worker maps another input: the app's
// process cannot use it, so the worker drops it and reads that split
// again, once, without it; no attempt fails and the output is whole. A
// removed copy is gone, not bad: named once, and no copy is said to
// differ. A replaced one is listed again (same name, same size), then
// found to differ when the worker reads it: the summary names it.
func TestLocalityCopyChangedAfterListing(t *testing.T) {
	for _, c := range []struct {
		name    string
		change  func(path string) error
		differs bool
	}{
		{"removed", os.Remove, false},
		{"replaced", func(path string) error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i := 0; i < len(b); i += 512 {
				b[i] ^= 0x20 // in every block, so in every piece
			}
			os.Remove(path) // a new file in its place
			return os.WriteFile(path, b, 0o644)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			inputs := Inputs(t, 4)
			dir := copyInputs(t, inputs, func(int) bool { return true })
			changed := filepath.Join(dir, filepath.Base(inputs[3]))
			gate := make(chan struct{})
			cfg := localityConfig(t)
			rec := &records{Handler: cfg.Logger.Handler(), msg: "input copy not used"}
			cfg.Logger = slog.New(rec)
			cl := startHolders(t, cfg, inputs, gatedWordCount(gate), []string{dir})
			cl.waitMapping(1) // its split read: the first input's, not the last's
			if err := c.change(changed); err != nil {
				t.Fatal(err)
			}
			close(gate)
			if err := cl.Wait(); err != nil {
				t.Fatal(err)
			}
			cl.CheckOutput(inputs)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.got) == 0 || (!c.differs && len(rec.got) != 1) || attr(rec.got[0], "file") != changed {
				t.Fatalf("%d warnings about copies, want one naming %s (two if it differs)", len(rec.got), changed)
			}
			sum := cl.SummaryFile()
			if local, _, coord := sources(t, sum); coord == 0 || local == 0 {
				t.Fatalf("map input %d bytes from the copies, %d from the coordinator: want both", local, coord)
			}
			w := sum.Workers[0]
			if w.Outcomes["failed"] != 0 {
				t.Fatalf("the worker failed %d attempts", w.Outcomes["failed"])
			}
			if differ := len(w.Differ) == 1 && w.Differ[0] == filepath.Base(changed); differ != c.differs || (!c.differs && len(w.Differ) != 0) {
				t.Fatalf("the job's summary names %v as differing copies", w.Differ)
			}
		})
	}
}

// A holder killed mid-job (a manifest job: the coordinator cannot stand
// in) costs only its tasks: the others read from the other holder.
func TestLocalityHolderKilled(t *testing.T) {
	inputs := Inputs(t, 6)
	gate := make(chan struct{})
	cfg := localityConfig(t)
	cfg.Manifest = writeManifest(t, inputs, 1024)
	cl := startHolders(t, cfg, inputs, gatedWordCount(gate), spread(t, inputs))
	cl.waitMapping(3)
	cl.Kill(0)
	var id string // the only worker that stopped heartbeating
	cl.WaitFor("the holder declared dead", func(sum protocol.Summary) bool {
		for _, w := range sum.Workers {
			if w.Dead {
				id = w.ID
			}
		}
		return id != ""
	})
	close(gate)
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	for _, w := range sum.Workers {
		if w.ID != id && (w.Excluded != "" || w.Outcomes["failed"] > 0) {
			t.Errorf("worker %s paid for the dead holder: %+v", w.ID, w)
		}
	}
}

// An input swapped for a link to a private file once the job listed it
// (issue 24): the coordinator refuses to serve it, the job fails naming
// it, and no private word reaches an output. (An input edited in place,
// size and time kept, is mr/coordinator's TestSendPieceOnlyFromTheFileListed.)
func TestInputSwappedAfterListing(t *testing.T) {
	dir := t.TempDir()
	secret := WriteFile(t, dir, "private.txt", "zanzibar quixotic\n")
	os.Chmod(secret, 0o600)
	decoy := WriteFile(t, dir, "decoy.txt", "ordinary words!!\n\n")
	st, _ := os.Stat(secret)
	os.Chtimes(decoy, st.ModTime(), st.ModTime())
	cfg := Config(t.TempDir())
	cl := Start(t, cfg, []string{decoy}, WordCount(), 0)
	os.Remove(decoy)
	if err := os.Symlink(secret, decoy); err != nil {
		t.Fatal(err)
	}
	cl.AddWorker(WorkerConfig(cl.C.Addr(), cfg, cl.App, t.TempDir()))
	err := cl.Wait()
	if err == nil || !strings.Contains(err.Error(), decoy) {
		t.Fatalf("job ended with %v", err)
	}
	outs, _ := filepath.Glob(filepath.Join(cfg.OutDir, "mr-*"))
	for _, o := range outs {
		if b, _ := os.ReadFile(o); strings.Contains(string(b), "zanzibar") {
			t.Fatalf("%s holds the private file's words", o)
		}
	}
}

// A worker serves its inputs to peers only with the job's key, and only
// bytes of names the coordinator accepted: never a path a peer names.
func TestLocalityInputServerTrust(t *testing.T) {
	inputs := Inputs(t, 2)
	cfg := localityConfig(t)
	cfg.Secret = []byte("correct horse battery staple")
	gate := make(chan struct{})
	dir := copyInputs(t, inputs, func(int) bool { return true })
	WriteFile(t, dir, "notes.txt", "not an input of the job\n")
	cl := startHolders(t, cfg, inputs, gatedWordCount(gate), []string{dir})
	cl.waitMapping(1)
	defer close(gate)
	holder := cl.C.Summary().Workers[0].Addr // its run-file server: no Advertise
	get := func(key []byte, name string, off, n int64) (int, string) {
		req, err := http.NewRequest(http.MethodGet, protocol.InputURL(holder, name, off, n), nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != nil {
			wire.SignBody(req, key, time.Now(), nil)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	key := auth.New(cfg.Secret).FetchKey()
	want, _ := os.ReadFile(inputs[0])
	name := filepath.Base(inputs[0])
	if code, _ := get(nil, name, 0, 10); code != http.StatusUnauthorized {
		t.Errorf("unsigned request: %d", code)
	}
	if code, _ := get(auth.New([]byte("another secret")).FetchKey(), name, 0, 10); code != http.StatusUnauthorized {
		t.Errorf("request signed with another secret: %d", code)
	}
	if code, body := get(key, name, 5, 10); code != http.StatusOK || body != string(want[5:15]) {
		t.Errorf("signed request: %d %q", code, body)
	}
	for _, bad := range []string{"notes.txt", "../" + name, inputs[0], "in-9.txt"} {
		if code, _ := get(key, bad, 0, 1); code != http.StatusNotFound {
			t.Errorf("name %q: %d, want 404", bad, code)
		}
	}
	if code, _ := get(key, name, int64(len(want))-1, 2); code != http.StatusBadRequest {
		t.Errorf("range past the end: %d", code)
	}
}

// Inputs only on the coordinator: every byte from it, as before.
func TestLocalityNoDataAsBefore(t *testing.T) {
	inputs := Inputs(t, 4)
	cl := startHolders(t, localityConfig(t), inputs, WordCount(), []string{"", ""})
	if err := cl.Wait(); err != nil {
		t.Fatal(err)
	}
	cl.CheckOutput(inputs)
	sum := cl.SummaryFile()
	if _, _, coord := sources(t, sum); coord != sum.Counters.MapInputBytes || sum.Counters.CoordinatorMaps != int64(sum.Maps) {
		t.Fatalf("%d of %d bytes from the coordinator, %d of %d maps", coord, sum.Counters.MapInputBytes, sum.Counters.CoordinatorMaps, sum.Maps)
	}
}
