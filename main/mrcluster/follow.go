// follow.go: what mrcluster says while the job runs, read from the
// coordinator's log, and the logs' tails when something failed.

package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"mapreduce/internal/lan"
	"mapreduce/mr/scheduler"
)

// follow prints, while the coordinator runs, the status page's link once
// the coordinator logs it, each worker as it joins, the phases and the
// job's end. It returns false, after the logs' tails, when a worker exits
// with an error before the coordinator; true once the coordinator exited.
func (c *cluster) follow() bool {
	seen, t0, next := 0, time.Now(), time.Now().Add(15*time.Second)
	gone := map[int]bool{}
	for {
		_, exited := c.coord.Wait(200 * time.Millisecond)
		c.waitIfStopped()
		seen = c.sayNew(seen)
		if exited {
			return true
		}
		for i, w := range c.workers {
			if gone[i] || !w.Exited() {
				continue
			}
			gone[i] = true
			if rc, _ := w.Wait(0); rc != 0 {
				fmt.Fprintf(os.Stderr, "mrcluster: the worker on host %d exited with status %d before the job ended: %s\n", i+1, rc, w.LastLine())
				c.showLogs()
				c.setKeep()
				return false
			}
		}
		if time.Now().After(next) {
			fmt.Printf("mrcluster: the coordinator still runs (%.0f s)\n", time.Since(t0).Seconds())
			next = time.Now().Add(15 * time.Second)
		}
	}
}

// sayNew says what the coordinator's complete log lines after the first
// seen tell, and returns how many lines it has read.
func (c *cluster) sayNew(seen int) int {
	out := c.coord.Output()
	lines := strings.Split(out, "\n")
	lines = lines[:len(lines)-1] // the last one is not complete yet (or empty)
	for _, line := range lines[min(seen, len(lines)):] {
		if s := c.say(line); s != "" {
			fmt.Println("mrcluster: " + s)
		}
	}
	return max(seen, len(lines))
}

var (
	addrRE   = regexp.MustCompile(`addr=[0-9.]+\.([0-9]+)`)
	workerRE = regexp.MustCompile(`worker=(w[0-9]+)`)
)

// say is what mrcluster says about one line of the coordinator's log, if
// anything.
func (c *cluster) say(line string) string {
	value := func(key string) string {
		_, v, _ := strings.Cut(line, " "+key+"=")
		v, _, _ = strings.Cut(v, " ")
		return strings.Trim(v, `"`)
	}
	switch {
	case strings.Contains(line, `msg="status page"`):
		if c.o.lingerText != "" {
			return fmt.Sprintf("status page %s (open it from this machine; it stays up %s after the job, -linger)", value("url"), c.o.lingerText)
		}
		return fmt.Sprintf("status page %s (open it from this machine; it goes with the LAN at the job's end: -linger D keeps both up D longer)", value("url"))
	case strings.Contains(line, `msg="`+scheduler.WorkerJoined.String()+`"`):
		host := -1
		if m := addrRE.FindStringSubmatch(line); m != nil {
			fmt.Sscan(m[1], &host)
			host -= 10
		}
		id := ""
		if m := workerRE.FindStringSubmatch(line); m != nil {
			id = m[1]
		}
		return fmt.Sprintf("host %d's worker joined as %s", host, id)
	case strings.Contains(line, `msg="`+scheduler.PhaseChanged.String()+`"`):
		return "phase " + value("phase")
	case strings.Contains(line, `msg="job over; the status page stays up"`):
		return fmt.Sprintf("job over; the status page stays up for %s (Ctrl-C ends it)", value("for"))
	}
	return ""
}

// showLogs prints the tails of the coordinator's and workers' logs.
func (c *cluster) showLogs() {
	show := func(h int, what string, p *lan.Proc, n int) {
		lines := tail(p.Output(), n)
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(os.Stderr, "mrcluster: ==> host %d (%s), last lines <==\n", h, what)
		for _, l := range lines {
			fmt.Fprintln(os.Stderr, "    "+l[:min(len(l), 300)])
		}
	}
	if c.coord != nil {
		show(0, "coordinator", c.coord, 15)
	}
	for i, w := range c.workers {
		show(i+1, "worker", w, 5)
	}
}

// tail is the last n lines of text.
func tail(text string, n int) []string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	return lines[max(0, len(lines)-n):]
}
