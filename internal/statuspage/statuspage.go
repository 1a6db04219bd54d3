// Package statuspage renders the coordinator's status page: one HTML
// document, built with html/template from the embedded page.html, that
// needs nothing from outside (no scripts, styles or fonts to fetch), so it
// works on a LAN without internet. The server renders the job as it
// stands; the page's script then polls GET /status, the same data as JSON
// (protocol.Status), and renders it again in place. It imports nothing of
// the engine but its protocol.
package statuspage

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"mapreduce/internal/protocol"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"bytes":    func(n int64) string { return Bytes(float64(n)) },
	"num":      number,
	"dur":      duration,
	"pct":      percent,
	"left":     left,
	"width":    width,
	"chart":    chart,
	"rate":     rate,
	"sorted":   sortedUser,
	"add":      func(a, b int) int { return a + b },
	"lane":     lane,
	"whole":    whole,
	"attempt":  attemptText,
	"read":     readText,
	"states":   statesText,
	"eta":      etaText,
	"work":     workText,
	"short":    short,
	"restarts": restartsText,
	"model":    modelText,
}).Parse(pageHTML))

// modelText is the job's parameters and shape in a sentence or three,
// as the page's script writes them too.
func modelText(m *protocol.JobModel) string {
	var parts []string
	if len(m.Params) > 0 {
		var ps []string
		for _, n := range slices.Sorted(maps.Keys(m.Params)) {
			ps = append(ps, n+"="+m.Params[n])
		}
		parts = append(parts, "Parameters: "+strings.Join(ps, ", "))
	}
	if m.MapOnly {
		parts = append(parts, "Map-only: each map task's records are its output")
	}
	if t := m.TotalOrder; t != nil {
		shares := make([]string, len(t.Shares))
		for i, s := range t.Shares {
			shares[i] = strconv.FormatInt(s, 10)
		}
		parts = append(parts, fmt.Sprintf("Total order: %d keys sampled from %d splits (%d bytes) in %d ms, %d cut points; skew %.2f (outputs: %s bytes)",
			t.Keys, t.Splits, t.Bytes, t.SampleMS, t.Cuts, t.Skew, strings.Join(shares, ", ")))
	}
	return strings.Join(parts, ". ") + "."
}

// Render writes the page showing st.
func Render(w io.Writer, st *protocol.Status) error {
	return page.Execute(w, st)
}

// Bytes is n bytes for people, in SI units: "812 B", "1.5 kB", "88 MB".
// The page's script formats the same way.
func Bytes(n float64) string {
	const units = "kMGTPE"
	if n < 1000 {
		return fmt.Sprintf("%.0f B", n)
	}
	i := -1
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if n < 10 {
		return fmt.Sprintf("%.1f %cB", n, units[i])
	}
	return fmt.Sprintf("%.0f %cB", n, units[i])
}

// number is n with thousands separated: "1,234,567".
func number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// duration is ms milliseconds for people: "340 ms", "1.2 s", "42 s", "3m05s".
func duration(ms int64) string {
	switch {
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 10000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	case ms < 100000:
		return fmt.Sprintf("%.0f s", float64(ms)/1000)
	}
	s := ms / 1000
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// percent is part of total in percent, for a bar's width.
func percent(part, total int) string {
	if total <= 0 {
		return "0"
	}
	return strconv.FormatFloat(100*float64(part)/float64(total), 'f', 2, 64)
}

// left is where an attempt starting at startMS sits on a timeline of
// totalMS, in percent.
func left(startMS, totalMS int64) string {
	if totalMS <= 0 {
		return "0"
	}
	return strconv.FormatFloat(min(100, 100*float64(startMS)/float64(totalMS)), 'f', 2, 64)
}

// width is how long an attempt of durMS is on that timeline, in percent;
// at least a sliver, so that every attempt shows.
func width(startMS, durMS, totalMS int64) string {
	if totalMS <= 0 {
		return "0.5"
	}
	w := 100 * float64(durMS) / float64(totalMS)
	w = min(max(w, 0.5), 100-min(100, 100*float64(startMS)/float64(totalMS)))
	return strconv.FormatFloat(max(w, 0.5), 'f', 2, 64)
}

// The throughput chart's drawing area, in SVG user units.
const chartW, chartH = 300, 60

// lane is the top of attempt i's bar in a task's timeline, in pixels, and
// lane(n) the height of a timeline of n attempts: each has a lane.
func lane(i int) int { return 2 + 12*i }

// chart is the SVG points of one throughput series, scaled to its own
// maximum, from the origin to now: "records" as a line, "area" (bytes) as
// a polygon closed along the time axis.
func chart(tp protocol.Throughput, elapsedMS int64, series string) string {
	val := func(r protocol.Rate) float64 {
		if series == "records" {
			return r.RecordsPerS
		}
		return r.BytesPerS
	}
	peak := 0.0
	for _, r := range tp.Points {
		peak = max(peak, val(r))
	}
	total := float64(max(elapsedMS, 1))
	for _, r := range tp.Points {
		total = max(total, float64(r.TMS))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "0,%d", chartH)
	x := 0.0
	for _, r := range tp.Points {
		y := float64(chartH)
		if peak > 0 {
			y = chartH - (chartH-2)*val(r)/peak
		}
		x = chartW * float64(r.TMS) / total
		fmt.Fprintf(&b, " %.1f,%.1f", x, y)
	}
	if series == "area" {
		fmt.Fprintf(&b, " %.1f,%d", x, chartH)
	}
	return b.String()
}

// rate is a rate per second for people: "88 MB/s", "1.2 M records/s".
func rate(perS float64, unit string) string {
	if unit == "B" {
		return Bytes(perS) + "/s"
	}
	s := Bytes(perS)
	return strings.TrimSuffix(strings.TrimSuffix(s, "B"), " ") + " " + unit + "/s"
}

// userCounter is one of the app's counters, for a sorted listing.
type userCounter struct {
	Name  string
	Value int64
}

func sortedUser(m map[string]int64) []userCounter {
	out := make([]userCounter, 0, len(m))
	for name, v := range m {
		out = append(out, userCounter{name, v})
	}
	slices.SortFunc(out, func(a, b userCounter) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// whole is a fraction in whole percent, rounded down: 100 only when
// all is done.
func whole(f float64) int { return int(math.Floor(100 * min(max(f, 0), 1))) }

// attemptText is how an attempt stands: "won, 1.2 s", or while it runs
// "running 47% (~31 MB of 67 MB read), 4.1 s" when its worker said how
// far it got, of a map task of input bytes.
func attemptText(a protocol.AttemptRow, input int64) string {
	s := a.Outcome
	if a.Progress > 0 {
		s += fmt.Sprintf(" %d%%", whole(a.Progress))
		if input > 0 {
			s += fmt.Sprintf(" (~%s of %s read)", Bytes(float64(a.ReadSoFar)), Bytes(float64(input)))
		}
	}
	return s + ", " + duration(a.DurationMS)
}

// readText is the input a worker read: "~" marks an estimate, while a
// map attempt of its runs.
func readText(w protocol.WorkerRow) string {
	if w.ReadSoFar > 0 {
		return "~" + Bytes(float64(w.ReadBytes+w.ReadSoFar))
	}
	return Bytes(float64(w.ReadBytes))
}

// statesText is the workers by state: "1 working · 1 idle · 3 exited";
// other states only when some worker is in them.
func statesText(c protocol.WorkerCounts) string {
	s := fmt.Sprintf("%d working · %d idle", c.Working, c.Idle)
	for _, x := range []struct {
		n    int
		name string
	}{{c.Exited, "exited"}, {c.Dead, "dead"}, {c.Excluded, "excluded"},
		{c.Earlier, "earlier (ids of before the restart: a worker back since has a new one)"}} {
		if x.n > 0 {
			s += fmt.Sprintf(" · %d %s", x.n, x.name)
		}
	}
	return s
}

// etaText is "eta 12 s", or "eta —" when unknown.
func etaText(w protocol.Work) string {
	if w.ETAMS == nil {
		return "eta —"
	}
	return "eta " + duration(*w.ETAMS)
}

// workText is how much of the work is done: "work done: 42% of 2.9 GB
// (input and map output)", the weights of protocol.Work.
func workText(w protocol.Work) string {
	f := 0.0
	if w.Total > 0 {
		f = w.Done / w.Total
	}
	of := fmt.Sprintf("%.0f tasks", w.Total)
	if w.Unit == "bytes" {
		of = Bytes(w.Total) + " (input and map output)"
	}
	return fmt.Sprintf("work done: %d%% of %s", whole(f), of)
}

// short is a build's first 12 hex digits.
func short(build string) string { return build[:min(len(build), 12)] }

// maxRestarts bounds the restarts a page lists: the last ones.
const maxRestarts = 10

// restartsText tells a journaled job's restarts: "never restarted", or
// "restarted 2 times: at 3.2s; at 9.1s (2 reduce outputs kept, 3 map
// outputs awaited from their owners)".
func restartsText(rs []protocol.Restart) string {
	if len(rs) == 0 {
		return "never restarted"
	}
	s := fmt.Sprintf("restarted %d times: ", len(rs))
	if len(rs) == 1 {
		s = "restarted once: "
	}
	if len(rs) > maxRestarts {
		s += fmt.Sprintf("%d earlier; ", len(rs)-maxRestarts)
		rs = rs[len(rs)-maxRestarts:]
	}
	for i, r := range rs {
		if i > 0 {
			s += "; "
		}
		s += "at " + r.At
		if r.ReducesRecovered > 0 || r.MapsPending > 0 {
			s += fmt.Sprintf(" (%d reduce outputs kept, %d map outputs awaited from their owners)", r.ReducesRecovered, r.MapsPending)
		}
	}
	return s
}
