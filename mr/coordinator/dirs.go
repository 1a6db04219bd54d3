// dirs.go: the directories the coordinator writes in: -out, which it
// locks for the job, a temp directory in -out where outputs are written
// before their rename, and the work directory of committed runs.

package coordinator

import (
	"fmt"
	"os"
	"path/filepath"

	"mapreduce/internal/atomicfile"
)

// outDirs are the directories the coordinator writes in. New takes the
// lock, Run makes the directories; all are fixed from then on.
type outDirs struct {
	lock    *outLock           // on -out, held until shutdown
	workDir string             // reduce outputs in run format, for the final merge
	tmpDir  string             // outputs being written, on -out's file system but in a small directory
	spares  *atomicfile.Spares // files made ahead in tmpDir for the outputs
}

// mkdirs makes the work directory (a journaled job's runs directory) and
// the temp directory.
func (d *outDirs) mkdirs(cfg Config, jr *jobJournal) error {
	if err := d.makeWork(jr); err != nil {
		return err
	}
	return d.makeTmp(cfg.OutDir, cfg.NReduce)
}

// makeWork makes the directory of committed reduce outputs: the
// journal's runs directory, kept across restarts, or a temp dir.
func (d *outDirs) makeWork(jr *jobJournal) error {
	if jr != nil {
		d.workDir = jr.runs
		if err := os.MkdirAll(d.workDir, 0o755); err != nil {
			return fmt.Errorf("mr: work directory: %w", err)
		}
		stale, _ := filepath.Glob(filepath.Join(d.workDir, "upload-*"))
		tmp, _ := filepath.Glob(filepath.Join(d.workDir, ".upload-*"))
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
	d.workDir = dir
	return nil
}

// makeTmp makes the directory outputs are written in before they are
// renamed into -out: a hidden one in -out, removed at the end, with n
// files made ahead.
func (d *outDirs) makeTmp(outDir string, n int) error {
	dir, err := os.MkdirTemp(outDir, ".mr-tmp-")
	if err != nil {
		return fmt.Errorf("mr: output directory: %w", err)
	}
	d.tmpDir = dir
	d.spares = atomicfile.NewSpares(dir, min(32, n))
	return nil
}

// create starts an output file in the temp directory: a spare, made
// ahead, once Run made the directory.
func (d *outDirs) create(path string) (*atomicfile.File, error) {
	if d.spares == nil {
		return atomicfile.CreateUnsyncedIn(d.tmpDir, path)
	}
	return d.spares.Create(path)
}

// remove removes the temp directory and, unless the job keeps it (a
// journal's runs), the work directory.
func (d *outDirs) remove(keepWork bool) {
	if d.spares != nil {
		d.spares.Close()
	}
	os.RemoveAll(d.tmpDir)
	if !keepWork {
		os.RemoveAll(d.workDir)
	}
}
