// journal.go: a journaled job (Config.Journal): the coordinator keeps
// an append-only journal in -out (internal/journal: checksummed
// records, group-committed, a torn tail ignored) holding the job's
// identity, every committed map (task, attempt, owner), every committed
// reduce (task, attempt, the CRC-32C of its mr-out-Y and of its run
// file, kept in -out too) and the job's end. Each record is on disk
// before its effect is acknowledged: before a map report is answered,
// before an upload's 200. Run again with the same command, the
// coordinator replays it: an identity that differs is refused naming
// the difference; reduce outputs whose CRCs still hold are kept;
// committed maps wait a while for their owners, which outlive the
// coordinator of a journaled job, to offer them back (mr/scheduler's
// recover.go); only what is missing runs again.

package coordinator

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mapreduce/internal/journal"
	"mapreduce/internal/protocol"
	"mapreduce/internal/runfile"
	"mapreduce/mr/scheduler"
)

// Kinds of journal records; each payload is JSON.
const (
	recIdentity byte = 'I' // identity, first
	recApp      byte = 'A' // appRecord, once the app is known
	recStart    byte = 'S' // startRecord, at every start
	recMap      byte = 'M' // commitRecord of a map task
	recReduce   byte = 'R' // commitRecord of a reduce task
	recEnd      byte = 'E' // endRecord
	recSync     byte = 'N' // nothing: waits for every record before it to be on disk
)

// identity is what makes a job the same job: a journal of another is
// refused. Its map tasks are named by what decides them, the task list
// itself (Tasks, a digest of every task's pieces of files), not by the
// flags that cut it, so that no flag that changes which bytes a map task
// holds (-split-size, -small-file, -pack-size, or one yet to come) can
// let a map output of before stand for another task.
type identity struct {
	Job       string    // random, made at the first start
	Inputs    []inputID // in order
	SplitSize int64
	NReduce   int
	App       string // -app, if given
	NMap      int    // how many map tasks
	Tasks     string // tasksDigest of the map tasks; "" in journals of before it
	// Params, MapOnly and TotalOrder: the job's parameters and shape,
	// which decide its outputs as much as its map tasks do.
	Params     map[string]string
	MapOnly    bool
	TotalOrder bool
}

// inputID is an input file as the job first saw it.
type inputID struct {
	Name  string
	Size  int64
	MTime int64 // unix nanoseconds
}

// appRecord is the job's app: its name and its build (the plugin's
// SHA-256, "" if unknown).
type appRecord struct {
	Name, Build string
}

type startRecord struct {
	At time.Time
}

// commitRecord is a committed attempt; a reduce's has the CRCs of its
// mr-out-Y (text) and of its run file.
type commitRecord struct {
	Task, Attempt   int
	Worker          string
	Read, Written   int64
	Counters        *protocol.Counters `json:",omitempty"`
	TextCRC, RunCRC uint32             `json:",omitempty"`
	TextSize        int64              `json:",omitempty"`
}

type endRecord struct {
	Phase, Failure string
}

// jobJournal is a journaled job's journal, and what its replay found.
type jobJournal struct {
	log  *journal.Journal
	path string
	runs string // where committed reduce outputs are kept in run format

	id      identity
	app     appRecord
	starts  []time.Time
	maps    map[int]commitRecord // the last commit of each map task
	reduces map[int]commitRecord
	tries   map[[2]int]int // (kind, task) -> the highest attempt number journaled
	end     *endRecord
	dropped int64 // bytes of a torn or corrupt tail
}

// FinishedError is New's answer to a journaled job that is already done:
// it names the job's final output and its journal.
type FinishedError struct {
	final, journal string
}

func (e *FinishedError) Error() string {
	return "the job is already finished: " + e.final + "; to run it again, remove " + e.journal
}

// journalPath and runsDir name a journaled job's files in -out.
func journalPath(out string) string { return filepath.Join(out, "mr-job.journal") }
func runsDir(out string) string     { return filepath.Join(out, "mr-job.runs") }

// openJournal opens the job's journal, or starts one, and checks that it
// is this job's.
func openJournal(cfg Config, inputs []string, tasks [][]protocol.Split) (*jobJournal, error) {
	id, err := jobIdentity(cfg, inputs, tasks)
	if err != nil {
		return nil, err
	}
	path := journalPath(cfg.OutDir)
	log, entries, err := journal.Open(path)
	if errors.Is(err, journal.ErrFormat) {
		return nil, fmt.Errorf("mr: %w (this -out holds no journal of this program: remove %s, or use another -out)", err, path)
	}
	if err != nil {
		return nil, fmt.Errorf("mr: journal: %w", err)
	}
	j := &jobJournal{log: log, path: path, runs: runsDir(cfg.OutDir), maps: make(map[int]commitRecord),
		reduces: make(map[int]commitRecord), tries: make(map[[2]int]int), dropped: log.Repair().Bytes}
	j.warnDamage(cfg.Logger, log.Repair(), len(entries))
	if err := j.replay(entries); err != nil {
		log.Close()
		return nil, fmt.Errorf("mr: journal %s: %w (remove it to start the job afresh)", path, err)
	}
	if len(entries) == 0 {
		j.id = id
		err = j.append(recIdentity, id)
	} else if err = j.sameJob(id); err == nil {
		err = j.checkCommits()
	}
	if err != nil {
		log.Close()
		return nil, err
	}
	return j, nil
}

// warnDamage says in one line what Open dropped from the journal, unless
// it was only a torn last record (a crash while appending: nothing that
// was acknowledged is lost).
func (j *jobJournal) warnDamage(log *slog.Logger, r journal.Repair, kept int) {
	switch {
	case r.Bytes == 0:
	case kept == 0:
		log.Warn("journal damaged at its first record: the job starts afresh", "journal", j.path,
			"bytes_dropped", r.Bytes, "reason", r.Reason)
	case !strings.HasPrefix(r.Reason, "torn record"):
		log.Warn("journal damaged: the records from the damage on are dropped and their work runs again",
			"journal", j.path, "offset", r.Offset, "bytes_dropped", r.Bytes, "records_kept", kept, "reason", r.Reason)
	}
}

// checkCommits refuses a journal whose commits name tasks this job does
// not have: they cannot be this job's, whatever its identity says.
func (j *jobJournal) checkCommits() error {
	bad := func(kind string, r commitRecord, n int) error {
		return fmt.Errorf("mr: journal %s records %s-%d attempt %d, but the job has %d %s tasks "+
			"(remove the journal to start the job afresh)", j.path, kind, r.Task, r.Attempt, n, kind)
	}
	for _, r := range j.maps {
		if r.Task < 0 || r.Task >= j.id.NMap || r.Attempt < 1 {
			return bad("map", r, j.id.NMap)
		}
	}
	for _, r := range j.reduces {
		if r.Task < 0 || r.Task >= j.id.NReduce || r.Attempt < 1 {
			return bad("reduce", r, j.id.NReduce)
		}
	}
	return nil
}

// jobIdentity is the identity of the job cfg and inputs describe; its Job
// id is new.
func jobIdentity(cfg Config, inputs []string, tasks [][]protocol.Split) (identity, error) {
	id := identity{Job: newJobID(), SplitSize: cfg.SplitSize, NReduce: cfg.NReduce, App: cfg.App,
		NMap: len(tasks), Tasks: tasksDigest(tasks), Params: cfg.Params, MapOnly: cfg.MapOnly, TotalOrder: cfg.TotalOrder}
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return id, fmt.Errorf("mr: input %s: %w", in, err)
		}
		id.Inputs = append(id.Inputs, inputID{Name: in, Size: st.Size(), MTime: st.ModTime().UnixNano()})
	}
	return id, nil
}

// sameJob refuses a job other than the journal's, naming the difference
// and what to do.
func (j *jobJournal) sameJob(now identity) error {
	was := j.id
	refuse := func(what string) error {
		return fmt.Errorf("mr: %s holds the journal of another job: %s (run the command of that job again, "+
			"or remove the journal to start afresh, or use another -out)", j.path, what)
	}
	switch {
	case was.MapOnly != now.MapOnly || was.TotalOrder != now.TotalOrder:
		return refuse(fmt.Sprintf("it was map-only %t and total-order %t, this one %t and %t", was.MapOnly, was.TotalOrder, now.MapOnly, now.TotalOrder))
	case !maps.Equal(was.Params, now.Params):
		return refuse(fmt.Sprintf("its parameters were %s, are %s", formatParams(was.Params), formatParams(now.Params)))
	case was.NReduce != now.NReduce:
		return refuse(fmt.Sprintf("-nreduce was %d, is %d", was.NReduce, now.NReduce))
	case now.App != "" && cmp.Or(j.app.Name, was.App) != now.App && cmp.Or(j.app.Name, was.App) != "":
		return refuse(fmt.Sprintf("the app was %q, is %q", cmp.Or(j.app.Name, was.App), now.App))
	case len(was.Inputs) != len(now.Inputs):
		return refuse(fmt.Sprintf("it had %d inputs, this one %d", len(was.Inputs), len(now.Inputs)))
	}
	for i, in := range now.Inputs {
		if err := sameInput(i, was.Inputs[i], in); err != "" {
			return refuse(err)
		}
	}
	switch {
	case was.Tasks == "":
		return refuse("an older mrcoordinator wrote it without its map tasks, so they cannot be checked")
	case was.Tasks != now.Tasks:
		hint := "-small-file or -pack-size"
		if was.SplitSize != now.SplitSize {
			hint = fmt.Sprintf("-split-size was %d, is %d", was.SplitSize, now.SplitSize)
		}
		return refuse(fmt.Sprintf("its inputs were cut into other map tasks (%d then, %d now; %s)", was.NMap, now.NMap, hint))
	}
	return nil
}

// formatParams is a job's parameters in one line, in name order:
// "[a=1 b=x]", or "none".
func formatParams(p map[string]string) string {
	if len(p) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, k+"="+protocol.Truncate(p[k], 40))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sameInput says how input i differs from what the journal recorded, or
// "" if it does not.
func sameInput(i int, was, now inputID) string {
	switch {
	case was.Name != now.Name:
		return fmt.Sprintf("input %d was %s, is %s", i+1, was.Name, now.Name)
	case was.Size != now.Size:
		return fmt.Sprintf("input %s was %d bytes, is %d", now.Name, was.Size, now.Size)
	case was.MTime != now.MTime:
		return fmt.Sprintf("input %s was modified at %s, is at %s", now.Name,
			time.Unix(0, was.MTime).UTC().Format(time.RFC3339Nano), time.Unix(0, now.MTime).UTC().Format(time.RFC3339Nano))
	}
	return ""
}

// tasksDigest names a list of map tasks by their content: the SHA-256 of
// every task's pieces (file, offset, length), in order, with the task
// boundaries.
func tasksDigest(tasks [][]protocol.Split) string {
	h := sha256.New()
	var b []byte
	for _, t := range tasks {
		b = binary.AppendUvarint(b[:0], uint64(len(t)))
		h.Write(b)
		for _, p := range t {
			b = binary.AppendUvarint(b[:0], uint64(len(p.File)))
			b = append(b, p.File...)
			b = binary.AppendVarint(b, p.Offset)
			b = binary.AppendVarint(b, p.Length)
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// replay reads the journal's records into j.
func (j *jobJournal) replay(entries []journal.Entry) error {
	for i, e := range entries {
		if i == 0 && e.Kind != recIdentity {
			return errors.New("its first record is not the job's identity")
		}
		if err := j.apply(e); err != nil {
			return fmt.Errorf("record %d: %w", i+1, err)
		}
	}
	return nil
}

// apply applies one record.
func (j *jobJournal) apply(e journal.Entry) error {
	switch e.Kind {
	case recIdentity:
		return json.Unmarshal(e.Payload, &j.id)
	case recApp:
		return json.Unmarshal(e.Payload, &j.app)
	case recStart:
		var r startRecord
		err := json.Unmarshal(e.Payload, &r)
		j.starts = append(j.starts, r.At)
		return err
	case recMap, recReduce:
		var r commitRecord
		if err := json.Unmarshal(e.Payload, &r); err != nil {
			return err
		}
		kind, commits := protocol.MapTask, j.maps
		if e.Kind == recReduce {
			kind, commits = protocol.ReduceTask, j.reduces
		}
		commits[r.Task] = r
		key := [2]int{int(kind), r.Task}
		j.tries[key] = max(j.tries[key], r.Attempt)
		return nil
	case recEnd:
		j.end = &endRecord{}
		return json.Unmarshal(e.Payload, j.end)
	}
	return nil // recSync, and kinds of later versions: nothing to apply
}

// append writes one record and returns once it is on disk.
func (j *jobJournal) append(kind byte, v any) error {
	b, err := json.Marshal(v)
	if err == nil {
		err = j.log.Append(kind, b)
	}
	if err != nil {
		return fmt.Errorf("mr: coordinator cannot write its journal %s: %w", j.path, err)
	}
	return nil
}

// intact lists the committed reduce tasks whose outputs are as committed
// in outDir and the runs directory.
func (j *jobJournal) intact(outDir string) map[int]bool {
	ok := make(map[int]bool)
	for t, r := range j.reduces {
		if t >= 0 && t < j.id.NReduce && j.reduceIntact(outDir, r) {
			ok[t] = true
		}
	}
	return ok
}

// recover gives the scheduler what the journal holds: the intact reduce
// outputs are done, committed maps are pending until until. It returns
// how many of each, and the workers the commits name.
func (j *jobJournal) recover(s *scheduler.Scheduler, intact map[int]bool, now, until time.Time) (reduces, maps int, workers []string) {
	r := scheduler.Restart{Until: until}
	for key, n := range j.tries {
		r.Tries = append(r.Tries, scheduler.Try{Kind: protocol.TaskKind(key[0]), Task: key[1], N: n})
	}
	for _, c := range sortedCommits(j.reduces) {
		r.Workers = append(r.Workers, c.Worker)
		if intact[c.Task] {
			r.Reduces = append(r.Reduces, commit(c))
		}
	}
	for _, m := range sortedCommits(j.maps) {
		r.Workers = append(r.Workers, m.Worker)
		r.Maps = append(r.Maps, commit(m))
	}
	s.Restore(r, now)
	return len(r.Reduces), len(r.Maps), r.Workers
}

// reduceIntact reports whether reduce r's outputs are as committed: its
// mr-out-Y and its run file, by their CRCs, or for a large output the
// lengths file that makes mr-out-Y a text run, by its own CRC and the
// text's it holds. A concatenated job keeps neither (keepsRuns).
func (j *jobJournal) reduceIntact(outDir string, r commitRecord) bool {
	size, crc, err := runfile.Checksum(filepath.Join(outDir, outputName(r.Task)))
	if err != nil || size != r.TextSize || crc != r.TextCRC {
		return false
	}
	if j.id.MapOnly || j.id.TotalOrder {
		return true
	}
	if lens := committedLensPath(j.runs, r.Task); fileExists(lens) {
		textCRC, err := runfile.CheckLens(lens)
		return err == nil && textCRC == r.TextCRC
	}
	size, crc, err = runfile.Checksum(committedRunPath(j.runs, r.Task))
	return err == nil && size == r.Written && crc == r.RunCRC
}

func commit(r commitRecord) scheduler.Commit {
	return scheduler.Commit{Task: r.Task, Attempt: r.Attempt, Worker: r.Worker, Read: r.Read, Written: r.Written, Counters: r.Counters}
}

func sortedCommits(m map[int]commitRecord) []commitRecord {
	var out []commitRecord
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b commitRecord) int { return a.Task - b.Task })
	return out
}

// finished refuses to run again a job whose journal says it is done and
// whose final output is there.
func (j *jobJournal) finished(outDir string) error {
	if j.end == nil || j.end.Phase != "done" || j.app.Name == "" {
		return nil
	}
	final := filepath.Join(outDir, finalName(j.app.Name))
	if _, err := os.Stat(final); err != nil {
		return nil // the final output is gone: make it again
	}
	os.RemoveAll(j.runs) // a coordinator killed as it ended may have left them
	return &FinishedError{final: final, journal: j.path}
}

// newJobID is a job's id, for a job without a journal.
func newJobID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// journaling is a journaled job's journal and what its earlier runs
// left; a job without a journal has none of them.
type journaling struct {
	journal  *jobJournal        // nil unless Config.Journal
	restarts []protocol.Restart // the job's starts after its first; fixed once New returns

	// Coordinator.mu guards earlier: registrations mark its workers back.
	earlier map[string]bool // workers of before a restart, named in the journal; true once back
}

// markBackLocked notes that worker, of before a restart, is back.
func (j *journaling) markBackLocked(worker string) {
	if _, ok := j.earlier[worker]; ok {
		j.earlier[worker] = true
	}
}

// allBackLocked reports whether every worker of before a restart has
// registered again.
func (j *journaling) allBackLocked() bool {
	for _, back := range j.earlier {
		if !back {
			return false
		}
	}
	return true
}

// resume replays the journal into the scheduler, counts this start, and
// logs what was recovered. intact are the reduce outputs kept in -out.
func (c *Coordinator) resume(intact map[int]bool) error {
	j, now := c.jr.journal, time.Now()
	c.job = j.id.Job
	grace := now.Add(2 * c.cfg.HeartbeatTimeout)
	reduces, maps, workers := j.recover(c.sched, intact, now, grace)
	c.up.committed = reduces // not locked: New has not returned
	for t, r := range j.reduces {
		if intact[t] && t < len(c.model.shares) {
			c.model.shares[t] = r.TextSize
		}
		if intact[t] && c.final != nil {
			c.final.recovered(t)
		}
	}
	c.jr.earlier = make(map[string]bool, len(workers))
	for _, id := range workers {
		c.jr.earlier[id] = false
	}
	if len(j.starts) > 0 {
		c.start = j.starts[0]
		c.jr.restarts = restartsOf(j.starts, now, protocol.Restart{ReducesRecovered: reduces, MapsPending: maps})
		c.log.Info("job resumed from its journal", "journal", j.path, "start", len(j.starts)+1,
			"reduces_recovered", reduces, "maps_awaiting_owners", maps, "grace", grace.Sub(now).String(),
			"torn_tail_bytes", j.dropped)
		if j.end != nil && j.end.Phase == "failed" {
			c.log.Warn("the job had failed; running it again", "failure", j.end.Failure)
		}
	}
	c.logEvents(c.sched.TakeEvents())
	return j.append(recStart, startRecord{At: now})
}

// restartsOf is the restarts of a job started at starts and now again,
// each timed from the first start; this one's is this.
func restartsOf(starts []time.Time, now time.Time, this protocol.Restart) []protocol.Restart {
	var out []protocol.Restart
	for _, at := range starts[1:] {
		out = append(out, protocol.Restart{At: at.Sub(starts[0]).Round(time.Millisecond).String()})
	}
	this.At = now.Sub(starts[0]).Round(time.Millisecond).String()
	return append(out, this)
}

// mergeIfAllIn starts the final merge at once when every reduce output
// was recovered from the journal.
func (c *Coordinator) mergeIfAllIn() {
	if c.up.all(c.cfg.NReduce) {
		c.life.wg.Go(c.writeFinal)
	}
}

// endJournal records how the job ended; a job done no longer needs its
// committed runs.
func (c *Coordinator) endJournal(jobErr error) {
	if c.jr.journal == nil {
		return
	}
	rec := endRecord{Phase: "done"}
	if jobErr != nil {
		rec = endRecord{Phase: "failed", Failure: jobErr.Error()}
		if errors.Is(jobErr, errStopped) {
			return // stopped, not ended: run it again to resume
		}
	}
	if err := c.jr.journal.append(recEnd, rec); err != nil {
		c.log.Error("journal not ended", "err", err)
		return
	}
	if jobErr == nil {
		os.RemoveAll(c.jr.journal.runs)
	}
}

// journalCommit journals a committed attempt before it is acknowledged;
// a coordinator that cannot journal fails the job.
func (c *Coordinator) journalCommit(kind byte, r commitRecord) bool {
	if c.jr.journal == nil {
		return true
	}
	if err := c.jr.journal.append(kind, r); err != nil {
		c.fail(err)
		return false
	}
	return true
}

// journalSync waits until every record journaled so far is on disk.
func (c *Coordinator) journalSync() bool {
	if c.jr.journal == nil {
		return true
	}
	if err := c.jr.journal.append(recSync, struct{}{}); err != nil {
		c.fail(err)
		return false
	}
	return true
}
