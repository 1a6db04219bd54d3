// status.go: the coordinator's view of itself: the status page at /,
// its JSON at /status, who may read them, the progress report (a log
// line, or a terminal's line through Config.Progress), the hint when no
// worker comes, and lingering after the job so the page can still be
// read.

package coordinator

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/internal/statuspage"
)

// statusState is what the coordinator keeps for its status page and
// progress reports. Coordinator.mu guards it.
type statusState struct {
	rates    throughput
	summary  string    // the summary file, once written
	reported time.Time // the last progress report
	final    bool      // the final progress report was made
	hinted   bool      // said how to start a worker
}

// statusNow is the job as it stands at now.
func (c *Coordinator) statusNow(now time.Time) protocol.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.sched.Status(c.start, c.life.ended, now)
	st.Throughput = c.status.rates.rates(c.start)
	p := c.sched.Progress()
	mean(&st.Throughput, p.Bytes, p.Records, st.ElapsedMS)
	if c.jr.journal != nil {
		st.Journal, st.Restarts = c.jr.journal.path, c.jr.restarts
	}
	st.AppBuild, st.Declined, st.Model = c.ship.build, c.ship.declined, c.model.viewLocked()
	if st.Over {
		st.Result = c.resultLocked(&st)
	}
	return st
}

// resultLocked says how the job ended and where its files are.
func (c *Coordinator) resultLocked(st *protocol.Status) *protocol.Result {
	r := &protocol.Result{Elapsed: (time.Duration(st.ElapsedMS) * time.Millisecond).String(),
		MapAttempts: st.MapTasks.Attempts, ReduceAttempts: st.ReduceTasks.Attempts,
		OutDir: c.cfg.OutDir, SummaryFile: c.status.summary}
	if abs, err := filepath.Abs(c.cfg.OutDir); err == nil {
		r.OutDir = abs
	}
	if abs, err := filepath.Abs(r.SummaryFile); err == nil && r.SummaryFile != "" {
		r.SummaryFile = abs
	}
	if st.Phase == "done" {
		r.Final = finalName(st.App)
		r.Outputs = outputName(0)
		if st.Reduces > 1 {
			r.Outputs += " … " + outputName(st.Reduces-1)
		}
	}
	return r
}

// readAllowed is the status page's authorization, in one place: without
// a job secret anyone may read; with one, GET / and GET /status need the
// job's read-only token, as ?token= (which also sets it as a cookie, for
// the page's own polling) or as that cookie. It answers 401 itself. The
// token grants reading, never a place among authenticated connections:
// the connection is left unmarked, so a holder of the token is a
// stranger to the listener (capped per host, dropped for newcomers,
// closed AuthTimeout after its accept), and a browser's polling simply
// connects again. A refusal names the job (protocol.JobHeader), so that
// a client holding the secret can derive the token.
func (c *Coordinator) readAllowed(w http.ResponseWriter, r *http.Request) bool {
	if len(c.cfg.Secret) == 0 {
		return true
	}
	want := protocol.StatusToken(c.cfg.Secret, c.job)
	if tok := r.URL.Query().Get(protocol.TokenParam); tok != "" {
		if tokenEqual(tok, want) {
			http.SetCookie(w, &http.Cookie{Name: protocol.TokenCookie, Value: tok, Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode})
			return true
		}
	} else if ck, err := r.Cookie(protocol.TokenCookie); err == nil && tokenEqual(ck.Value, want) {
		return true
	}
	c.front.refused(r.RemoteAddr, r.Method+" "+r.URL.Path, errors.New("no read-only token"))
	w.Header().Set(protocol.JobHeader, c.job)
	refuse(w, "mr: the status page needs its read-only token: open the link the coordinator printed", http.StatusUnauthorized)
	return false
}

// tokenEqual compares tokens in constant time.
func tokenEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// handlePage serves the status page.
func (c *Coordinator) handlePage(w http.ResponseWriter, r *http.Request) {
	if !c.readAllowed(w, r) {
		return
	}
	st := c.statusNow(time.Now())
	var page bytes.Buffer
	if err := statuspage.Render(&page, &st); err != nil {
		c.log.Error("status page not rendered", "err", err)
		http.Error(w, "status page not rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(page.Bytes())
}

// handleStatus serves the job's status as JSON (protocol.Status).
func (c *Coordinator) handleStatus(w http.ResponseWriter, r *http.Request) {
	if !c.readAllowed(w, r) {
		return
	}
	st := c.statusNow(time.Now())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(&st)
}

// statusEvery is how often statusTick runs: often enough for the rate
// samples and a terminal's line, and for the progress log line.
func (c *Coordinator) statusEvery() time.Duration {
	return min(c.cfg.progressEvery, firstRateInterval)
}

// statusTick samples the throughput, reports progress when due (every
// progressEvery as a log line, or at each tick through Config.Progress;
// once more when the job is over) and says how to start a worker if none
// came.
func (c *Coordinator) statusTick(now time.Time) {
	c.mu.Lock()
	p := c.sched.Progress()
	if !c.status.final {
		c.status.rates.sample(now, p.Bytes, p.Records)
	}
	wc, over := p.WorkerCounts, c.sched.Job().Over
	hint := !c.status.hinted && p.Workers == 0 && now.Sub(c.start) >= c.cfg.HintAfter
	c.status.hinted = c.status.hinted || hint
	due := (c.cfg.Progress != nil || now.Sub(c.status.reported) >= c.cfg.progressEvery) && !c.status.final
	if due {
		c.status.reported, c.status.final = now, over
	}
	c.mu.Unlock()
	if hint {
		c.hintWorkers()
	}
	if !due {
		return
	}
	if c.cfg.Progress != nil {
		st := c.statusNow(now)
		c.cfg.Progress(progressLine(&st))
		return
	}
	c.log.Info(p.String(), "phase", p.Phase, "workers", wc.Working+wc.Idle) // exited ones are not live
}

// finalProgress gives a terminal's line its last state.
func (c *Coordinator) finalProgress() {
	if c.cfg.Progress != nil {
		st := c.statusNow(time.Now())
		c.cfg.Progress(progressLine(&st))
	}
}

// hintWorkers says what to run on the worker hosts.
func (c *Coordinator) hintWorkers() {
	file := ""
	if len(c.cfg.Secret) > 0 && c.cfg.SecretFile != "" {
		file = " -secret-file " + c.cfg.SecretFile
	}
	cmd := fmt.Sprintf("%sbin/mrworker -coordinator %s%s%s", secretHint(c.cfg), c.front.reachableAddr(), file,
		c.ship.workerHint(c.cfg.App, c.front.keys != nil))
	if c.front.loopbackOnly() {
		c.log.Warn("no worker has joined yet; start one on this machine", "command", cmd,
			"note", "the coordinator listens on loopback only; -addr 0.0.0.0:PORT lets other hosts join")
		return
	}
	c.log.Warn("no worker has joined yet; start one on each worker host", "command", cmd)
}

// secretHint is how the hint's command gets the job secret, which is
// never printed: the same file, or MR_SECRET set to it.
func secretHint(cfg Config) string {
	switch {
	case len(cfg.Secret) == 0:
		return ""
	case cfg.SecretFile != "":
		return "" // the command gets -secret-file, below
	}
	return "MR_SECRET=<the job secret> "
}

// announce logs where the status page is: with a job secret, the link
// carries the read-only token.
func (c *Coordinator) announce() {
	c.log.Info("status page", "url", c.statusURL())
}

// statusURL is the status page's address as others should open it: with
// a job secret, it carries the job's read-only token.
func (c *Coordinator) statusURL() string {
	u := "http://" + c.front.reachableAddr() + protocol.PathPage
	if len(c.cfg.Secret) > 0 {
		u += "?" + protocol.TokenParam + "=" + protocol.StatusToken(c.cfg.Secret, c.job)
	}
	return u
}

// linger keeps the status page up for Config.Linger after the job, or
// until ctx ends.
func (c *Coordinator) linger(ctx context.Context) {
	if c.cfg.Linger <= 0 || ctx.Err() != nil {
		return
	}
	c.log.Info("job over; the status page stays up", "url", c.statusURL(), "for", c.cfg.Linger.String())
	t := time.NewTimer(c.cfg.Linger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// summaryLocked is the scheduler's summary at now, with the journal's
// story: its file and the restarts.
func (c *Coordinator) summaryLocked(now time.Time) protocol.Summary {
	sum := c.sched.Summary(c.start, now)
	sum.AppBuild, sum.Declined, sum.Model = c.ship.build, c.ship.declined, c.model.viewLocked()
	if c.jr.journal != nil {
		sum.Journal, sum.Restarts = c.jr.journal.path, c.jr.restarts
	}
	return sum
}
