// stream.go is a worker's side of a streaming job: it runs the commands
// its coordinator names only if it was made to (Config.streams: a pool
// worker, which trusts the coordinator as it trusts one shipping a
// plugin), each attempt in a working directory of its own.

package worker

import (
	"fmt"
	"io"
	"os"

	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// checkStream refuses a job that this worker cannot run: a streaming job
// when it runs a plugin, or a plugin job when it runs commands.
func (w *Worker) checkStream(s *protocol.Stream, job string) error {
	switch {
	case s != nil && !w.cfg.streams:
		return fmt.Errorf("mr: job %s is a streaming job (-mapper %s): this worker runs the app %s; "+
			"start mrworker without a plugin (a pool worker) to run it", protocol.Truncate(job, 64), quote(s.Mapper), w.cfg.App)
	case s == nil && w.cfg.streams:
		return fmt.Errorf("mr: job %s runs a plugin, not a streaming job's commands", protocol.Truncate(job, 64))
	case s != nil:
		if err := s.Check(); err != nil {
			return fmt.Errorf("mr: bad registration: %w", err)
		}
	}
	return nil
}

// quote is a command as a line names it: quoted, at most 80 bytes.
func quote(cmd string) string { return "'" + protocol.Truncate(cmd, 80) + "'" }

// streamTask gives a streaming job's attempt its commands, the shipped
// files and a working directory of its own; what it returns removes
// that directory, whatever became of the app's process.
func (w *Worker) streamTask(t *executor.Task, a protocol.Attempt) func() {
	s := w.shape().stream
	if s == nil {
		return func() {}
	}
	t.Stream, t.Files = s, w.cfg.streamFiles
	t.WorkDir = workDir(w.dir, a)
	return func() { os.RemoveAll(t.WorkDir) }
}

// joinStream readies a pool worker for a streaming job: the files it
// ships fetched into apps/ (or found there by their SHA-256), and an
// app's process that loads no plugin.
func (p *Pool) joinStream(cl jobSource, info *protocol.JobInfo) (*executor.Child, *Worker, error) {
	s := info.Stream
	if err := s.Check(); err != nil {
		return nil, nil, err
	}
	files, sums := make(map[string]string), make([]string, 0, len(s.Files))
	for _, f := range s.Files {
		path, err := p.shippedFile(cl, info, f)
		if err != nil {
			return nil, nil, err
		}
		files[f.Name], sums = path, append(sums, f.Sum)
	}
	ch := executor.NewChild(p.command(""), p.out)
	if err := ch.Start(); err != nil {
		ch.Close()
		return nil, nil, fmt.Errorf("the streaming job's process cannot start here: %w", err)
	}
	p.apps.useAll(sums)
	cfg := p.cfg
	cfg.App, cfg.Build, cfg.Executor, cfg.streams, cfg.streamFiles = info.App, s.Build(), ch, true, files
	return p.worker(ch, cfg, info)
}

// shippedFile returns the path of one file a streaming job ships, kept
// by its SHA-256 in apps/, fetching it if need be; the commands may run
// it.
func (p *Pool) shippedFile(cl jobSource, info *protocol.JobInfo, f protocol.StreamFile) (string, error) {
	path, ok := p.apps.lookup(f.Sum)
	if !ok {
		var err error
		path, err = p.apps.fetch(f.Sum, f.Size, func(w io.Writer) error { return cl.shipped(f.Sum, f.Size, w) })
		if err != nil {
			return "", fmt.Errorf("mr: the streaming job's file %s: %w", f.Name, err)
		}
		p.log.Info("shipped file received", "app", info.App, "file", f.Name, "bytes", f.Size, "sum", f.Sum[:12])
	}
	return path, os.Chmod(path, 0o700)
}
