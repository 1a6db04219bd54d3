package coordinator

// A journaled job (Config.Journal): the coordinator keeps an append-only
// journal in -out (internal/journal: checksummed records, group-committed,
// a torn tail ignored) holding the job's identity, every committed map
// (task, attempt, owner), every committed reduce (task, attempt, the
// CRC-32C of its mr-out-Y and of its run file, kept in -out too) and the
// job's end. Each record is on disk before its effect is acknowledged:
// before a map report is answered, before an upload's 200. Run again with
// the same command, the coordinator replays it: an identity that differs
// is refused naming the difference; reduce outputs whose CRCs still hold
// are kept; committed maps wait a while for their owners, which outlive
// the coordinator of a journaled job, to offer them back (mr/scheduler's
// recover.go); only what is missing runs again.

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// refused.
type identity struct {
	Job        string    // random, made at the first start
	Inputs     []inputID // in order
	SplitSize  int64
	WholeFiles bool `json:",omitempty"`
	NReduce    int
	App        string // -app, if given
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

// FinishedError is New's answer to a journaled job that is already done.
type FinishedError struct {
	Final, Journal string
}

func (e *FinishedError) Error() string {
	return "the job is already finished: " + e.Final + "; to run it again, remove " + e.Journal
}

// journalPath and runsDir name a journaled job's files in -out.
func journalPath(out string) string { return filepath.Join(out, "mr-job.journal") }
func runsDir(out string) string     { return filepath.Join(out, "mr-job.runs") }

// openJournal opens the job's journal, or starts one, and checks that it
// is this job's.
func openJournal(cfg Config, inputs []string) (*jobJournal, error) {
	id, err := jobIdentity(cfg, inputs)
	if err != nil {
		return nil, err
	}
	path := journalPath(cfg.OutDir)
	log, entries, err := journal.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mr: journal: %w", err)
	}
	j := &jobJournal{log: log, path: path, runs: runsDir(cfg.OutDir), maps: make(map[int]commitRecord),
		reduces: make(map[int]commitRecord), tries: make(map[[2]int]int), dropped: log.Repair().Bytes}
	if err := j.replay(entries); err != nil {
		log.Close()
		return nil, fmt.Errorf("mr: journal %s: %w", path, err)
	}
	if len(entries) == 0 {
		j.id = id
		err = j.append(recIdentity, id)
	} else {
		err = j.sameJob(id)
	}
	if err != nil {
		log.Close()
		return nil, err
	}
	return j, nil
}

// jobIdentity is the identity of the job cfg and inputs describe; its Job
// id is new.
func jobIdentity(cfg Config, inputs []string) (identity, error) {
	id := identity{Job: newJobID(), SplitSize: cfg.SplitSize, WholeFiles: cfg.WholeFiles, NReduce: cfg.NReduce, App: cfg.App}
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return id, fmt.Errorf("mr: input %s: %w", in, err)
		}
		id.Inputs = append(id.Inputs, inputID{Name: in, Size: st.Size(), MTime: st.ModTime().UnixNano()})
	}
	return id, nil
}

// sameJob refuses a job other than the journal's, naming the difference.
func (j *jobJournal) sameJob(now identity) error {
	was := j.id
	refuse := func(what string) error {
		return fmt.Errorf("mr: %s holds the journal of another job: %s (remove it, or use another -out)", j.path, what)
	}
	switch {
	case was.NReduce != now.NReduce:
		return refuse(fmt.Sprintf("-nreduce was %d, is %d", was.NReduce, now.NReduce))
	case was.SplitSize != now.SplitSize:
		return refuse(fmt.Sprintf("-split-size was %d, is %d", was.SplitSize, now.SplitSize))
	case was.WholeFiles != now.WholeFiles:
		return refuse(fmt.Sprintf("whole files (-whole-files, or the app's WholeFiles) was %t, is %t", was.WholeFiles, now.WholeFiles))
	case now.App != "" && cmp.Or(j.app.Name, was.App) != now.App && cmp.Or(j.app.Name, was.App) != "":
		return refuse(fmt.Sprintf("the app was %q, is %q", cmp.Or(j.app.Name, was.App), now.App))
	case len(was.Inputs) != len(now.Inputs):
		return refuse(fmt.Sprintf("it had %d inputs, this one %d", len(was.Inputs), len(now.Inputs)))
	}
	for i, in := range now.Inputs {
		w := was.Inputs[i]
		switch {
		case w.Name != in.Name:
			return refuse(fmt.Sprintf("input %d was %s, is %s", i+1, w.Name, in.Name))
		case w.Size != in.Size:
			return refuse(fmt.Sprintf("input %s was %d bytes, is %d", in.Name, w.Size, in.Size))
		case w.MTime != in.MTime:
			return refuse(fmt.Sprintf("input %s was modified at %s, is at %s", in.Name,
				time.Unix(0, w.MTime).UTC().Format(time.RFC3339Nano), time.Unix(0, in.MTime).UTC().Format(time.RFC3339Nano)))
		}
	}
	return nil
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
	for key, n := range j.tries {
		s.Attempted(protocol.TaskKind(key[0]), key[1], n)
	}
	for _, r := range sortedCommits(j.reduces) {
		workers = append(workers, r.Worker)
		if intact[r.Task] {
			s.RecoverReduce(commit(r), now)
			reduces++
		}
	}
	for _, m := range sortedCommits(j.maps) {
		workers = append(workers, m.Worker)
		s.RecoverMap(commit(m), until)
		maps++
	}
	s.Earlier(workers)
	return reduces, maps, workers
}

// reduceIntact reports whether reduce r's outputs are as committed: its
// mr-out-Y and its run file, by their CRCs.
func (j *jobJournal) reduceIntact(outDir string, r commitRecord) bool {
	size, crc, err := runfile.Checksum(filepath.Join(outDir, outputName(r.Task)))
	if err != nil || size != r.TextSize || crc != r.TextCRC {
		return false
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
	return &FinishedError{Final: final, Journal: j.path}
}

// newJobID is a job's id, for a job without a journal.
func newJobID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// resume replays the journal into the scheduler, counts this start, and
// logs what was recovered. intact are the reduce outputs kept in -out.
func (c *Coordinator) resume(intact map[int]bool) error {
	j, now := c.journal, time.Now()
	c.job = j.id.Job
	grace := now.Add(2 * c.cfg.HeartbeatTimeout)
	reduces, maps, workers := j.recover(c.sched, intact, now, grace)
	c.committed = reduces
	c.earlier = make(map[string]bool, len(workers))
	for _, id := range workers {
		c.earlier[id] = false
	}
	if len(j.starts) > 0 {
		c.start = j.starts[0]
		for _, at := range j.starts[1:] {
			c.restarts = append(c.restarts, protocol.Restart{At: at.Sub(c.start).Round(time.Millisecond).String()})
		}
		c.restarts = append(c.restarts, protocol.Restart{At: now.Sub(c.start).Round(time.Millisecond).String(),
			ReducesRecovered: reduces, MapsPending: maps})
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

// makeWorkDir makes the directory of committed reduce outputs: the
// journal's runs directory, kept across restarts, or a temp dir.
func (c *Coordinator) makeWorkDir() error {
	if c.journal != nil {
		c.workDir = c.journal.runs
		if err := os.MkdirAll(c.workDir, 0o755); err != nil {
			return fmt.Errorf("mr: work directory: %w", err)
		}
		stale, _ := filepath.Glob(filepath.Join(c.workDir, "upload-*"))
		tmp, _ := filepath.Glob(filepath.Join(c.workDir, ".upload-*"))
		stale = append(stale, tmp...)
		for _, f := range stale { // uploads a killed coordinator was receiving
			os.Remove(f)
		}
		return nil
	}
	dir, err := os.MkdirTemp("", "mrcoordinator-")
	if err != nil {
		return fmt.Errorf("mr: work directory: %w", err)
	}
	c.workDir = dir
	return nil
}

// mergeIfAllIn starts the final merge at once when every reduce output
// was recovered from the journal.
func (c *Coordinator) mergeIfAllIn() {
	c.mu.Lock()
	all := c.committed == c.cfg.NReduce
	c.mu.Unlock()
	if all {
		c.wg.Go(c.writeFinal)
	}
}

// endJournal records how the job ended; a job done no longer needs its
// committed runs.
func (c *Coordinator) endJournal(jobErr error) {
	if c.journal == nil {
		return
	}
	rec := endRecord{Phase: "done"}
	if jobErr != nil {
		rec = endRecord{Phase: "failed", Failure: jobErr.Error()}
		if errors.Is(jobErr, errStopped) {
			return // stopped, not ended: run it again to resume
		}
	}
	if err := c.journal.append(recEnd, rec); err != nil {
		c.log.Error("journal not ended", "err", err)
		return
	}
	if jobErr == nil {
		os.RemoveAll(c.journal.runs)
	}
}

// journalCommit journals a committed attempt before it is acknowledged;
// a coordinator that cannot journal fails the job.
func (c *Coordinator) journalCommit(kind byte, r commitRecord) bool {
	if c.journal == nil {
		return true
	}
	if err := c.journal.append(kind, r); err != nil {
		c.fail(err)
		return false
	}
	return true
}

// journalSync waits until every record journaled so far is on disk.
func (c *Coordinator) journalSync() bool {
	if c.journal == nil {
		return true
	}
	if err := c.journal.append(recSync, struct{}{}); err != nil {
		c.fail(err)
		return false
	}
	return true
}
