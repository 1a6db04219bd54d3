// Command mrstatuscheck checks what the status page and GET /status say,
// for the status page case (e2e.TestStatusPage) and for people at a shell.
//
//	mrstatuscheck status SRC [PATH=VALUE...]    SRC is GET /status's answer: a file or its URL
//	mrstatuscheck wait SECS URL [PATH=VALUE...] polls URL until status's checks pass
//	mrstatuscheck dom FILE [KEY=VALUE...]       FILE is the page's DOM (chromium --dump-dom)
//	mrstatuscheck png FILE                      FILE is a screenshot: not blank
//	mrstatuscheck workers URL                   prints "ID ADDR STATE ATTEMPT" for each worker (ATTEMPT: - when none)
//	mrstatuscheck won URL                       prints "TASK WORKER ADDR" for each task won: its winner's worker
//
// A URL is read with the job's read-only token when $MR_SECRET is set.
//
// status decodes the JSON into protocol.Status, refusing unknown fields,
// checks that its numbers agree with each other (consistent), then that
// each PATH (JSON keys joined by dots: "Phase", "map_tasks.running",
// "result.final") has VALUE (PATH>=N: at least N). Three PATHs count
// listed rows: count.progress (running attempts whose progress is
// known), count.input (task rows naming their input) and count.recovered
// (tasks taken back from before a restart). dom checks, in the DOM
// (KEY>=N too):
//
//	#ID=TEXT         the text of the element with that id
//	phase=P over=B   the job's data-phase and data-over
//	tasks=N  tasks.STATE=N  tasks.failed=N  tasks.slow=N   task rows
//	tasks.recovered=N  tasks.input=N                      ... recovered, naming their input
//	attempts.OUTCOME=N  attempts.progress=N               timeline segments; showing progress
//	workers=N  workers.STATE=N  workers.pool=N            worker rows
//	counter.KEY=N  user.NAME=N                            counter rows (N without commas)
//
// Every failed check is one line on stderr and exit status 1.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mapreduce/internal/protocol"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: mrstatuscheck status|wait|dom|png|workers|won ...")
		os.Exit(2)
	}
	cmd, src, args := os.Args[1], os.Args[2], os.Args[3:]
	var errs []string
	switch cmd {
	case "status":
		errs = checkStatus(read(src), args)
	case "wait":
		secs, err := strconv.Atoi(src)
		if err != nil || len(args) == 0 {
			fatalf("usage: mrstatuscheck wait SECS URL [PATH=VALUE...]")
		}
		src, errs = args[0], wait(time.Duration(secs)*time.Second, args[0], args[1:])
	case "dom":
		errs = checkDOM(string(read(src)), args)
	case "png":
		errs = checkPNG(read(src))
	case "workers":
		errs = printRows(read(src), workerLines)
	case "won":
		errs = printRows(read(src), wonLines)
	default:
		fatalf("unknown check %q", cmd)
	}
	for _, e := range errs {
		fmt.Fprintf(os.Stderr, "mrstatuscheck %s %s: %s\n", cmd, src, e)
	}
	if len(errs) > 0 {
		os.Exit(1)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mrstatuscheck: "+format+"\n", args...)
	os.Exit(1)
}

// read is a file's contents, or what a GET of an http:// URL answers.
func read(src string) []byte {
	if !strings.HasPrefix(src, "http://") {
		b, err := os.ReadFile(src)
		if err != nil {
			fatalf("%v", err)
		}
		return b
	}
	b, err := get(src)
	if err != nil {
		fatalf("%v", err)
	}
	return b
}

// get is GET url, with the read-only token of $MR_SECRET when it is set
// and the coordinator asks for it (its refusal names the job, whose
// token the secret gives).
func get(url string) ([]byte, error) {
	b, job, err := getOnce(url)
	if secret := os.Getenv("MR_SECRET"); err != nil && job != "" && secret != "" && !strings.Contains(url, protocol.TokenParam+"=") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		b, _, err = getOnce(url + sep + protocol.TokenParam + "=" + protocol.StatusToken([]byte(secret), job))
	}
	return b, err
}

// getOnce is GET url: the body, or an error and the job a 401 names.
func getOnce(url string) ([]byte, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	job := ""
	if resp.StatusCode == http.StatusUnauthorized {
		job = resp.Header.Get(protocol.JobHeader)
	}
	return b, job, err
}

// wait polls url's status until the expectations hold, for at most d.
func wait(d time.Duration, url string, args []string) []string {
	var errs []string
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		b, err := get(url)
		if err != nil {
			errs = []string{err.Error()}
		} else if errs = checkStatus(b, args); len(errs) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return append(errs, fmt.Sprintf("still so after %s", d))
		}
	}
}

// expectations splits KEY=VALUE and KEY>=N arguments.
func expectations(args []string) []expectation {
	var out []expectation
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			fatalf("expectation %q is not KEY=VALUE or KEY>=N", a)
		}
		e := expectation{key: k, want: v}
		if e.key, e.atLeast = strings.CutSuffix(k, ">"); e.atLeast {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				fatalf("expectation %q: %s is not a number", a, v)
			}
		}
		out = append(out, e)
	}
	return out
}

// expectation is KEY=VALUE, or KEY>=N with atLeast.
type expectation struct {
	key, want string
	atLeast   bool
}

// check returns "" if got meets e, else what is wrong.
func (e expectation) check(got string) string {
	if e.atLeast {
		n, err := strconv.ParseFloat(got, 64)
		w, _ := strconv.ParseFloat(e.want, 64)
		if err == nil && n >= w {
			return ""
		}
		return fmt.Sprintf("%s is %s, want at least %s", e.key, got, e.want)
	}
	if got == e.want {
		return ""
	}
	return fmt.Sprintf("%s is %s, want %s", e.key, got, e.want)
}

func checkStatus(b []byte, args []string) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st protocol.Status
	if err := dec.Decode(&st); err != nil {
		return []string{"not a protocol.Status: " + err.Error()}
	}
	errs := consistent(&st)
	var doc map[string]any
	json.Unmarshal(b, &doc)
	counts := rowCounts(&st)
	for _, e := range expectations(args) {
		got := lookup(doc, e.key)
		if n, ok := counts[e.key]; ok {
			got = strconv.Itoa(n)
		}
		if bad := e.check(got); bad != "" {
			errs = append(errs, bad)
		}
	}
	return errs
}

// printRows prints the lines that lines makes of a status.
func printRows(b []byte, lines func(*protocol.Status) []string) []string {
	var st protocol.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return []string{"not a protocol.Status: " + err.Error()}
	}
	for _, l := range lines(&st) {
		fmt.Println(l)
	}
	return nil
}

// workerLines is "ID ADDR STATE ATTEMPT" for each worker listed.
func workerLines(st *protocol.Status) []string {
	var out []string
	for _, w := range st.WorkerList.Rows {
		out = append(out, fmt.Sprintf("%s %s %s %s", w.ID, w.Addr, w.State, cmp.Or(w.Current, "-")))
	}
	return out
}

// wonLines is "TASK WORKER ADDR" for each task listed whose winner is
// listed (ADDR: the worker's, - when not listed).
func wonLines(st *protocol.Status) []string {
	addrs := map[string]string{}
	for _, w := range st.WorkerList.Rows {
		addrs[w.ID] = w.Addr
	}
	var out []string
	for _, r := range st.Tasks.Rows {
		for _, a := range r.Attempts {
			if a.Outcome == "won" {
				out = append(out, fmt.Sprintf("%s %s %s", r.Task, a.Worker, cmp.Or(addrs[a.Worker], "-")))
			}
		}
	}
	return out
}

// rowCounts are the count.* paths of the status check.
func rowCounts(st *protocol.Status) map[string]int {
	n := map[string]int{"count.progress": 0, "count.input": 0, "count.recovered": 0}
	for _, r := range st.Tasks.Rows {
		for _, a := range r.Attempts {
			if a.Progress > 0 {
				n["count.progress"]++
			}
		}
		if r.Input != "" {
			n["count.input"]++
		}
		if r.Recovered {
			n["count.recovered"]++
		}
	}
	return n
}

// checker collects what is wrong.
type checker []string

func (c *checker) check(ok bool, format string, args ...any) {
	if !ok {
		*c = append(*c, fmt.Sprintf(format, args...))
	}
}

// consistent checks that a status's numbers agree with each other.
func consistent(st *protocol.Status) []string {
	var c checker
	for _, k := range []struct {
		name        string
		c           protocol.TaskCounts
		total, done int
	}{{"map", st.MapTasks, st.Maps, st.MapsDone}, {"reduce", st.ReduceTasks, st.Reduces, st.ReducesDone}} {
		c.check(k.c.Total == k.total && k.c.Done == k.done, "%s tasks %+v disagree with %d/%d", k.name, k.c, k.done, k.total)
		c.check(k.c.Idle+k.c.Running+k.c.Done+k.c.Pending == k.c.Total, "%s tasks %+v do not add up", k.name, k.c)
		n := 0
		for _, v := range k.c.Outcomes {
			n += v
		}
		c.check(n == k.c.Attempts, "%s outcomes %v do not add up to %d attempts", k.name, k.c.Outcomes, k.c.Attempts)
	}
	c.check(st.Version == protocol.StatusVersion, "version %d", st.Version)
	c.check(len(st.Tasks.Rows) <= st.Tasks.Limit && len(st.Tasks.Rows)+st.Tasks.Omitted == st.Maps+st.Reduces,
		"%d task rows + %d omitted for %d tasks (limit %d)", len(st.Tasks.Rows), st.Tasks.Omitted, st.Maps+st.Reduces, st.Tasks.Limit)
	c.check(st.Over == (st.Result != nil), "over %v but result %v", st.Over, st.Result)
	c.check(len(st.Restarts) == 0 || st.Journal != "", "%d restarts without a journal", len(st.Restarts))
	c.check(st.AppBuild == "" || regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(st.AppBuild), "app build %q is not a SHA-256", st.AppBuild)
	c.workers(st)
	c.taskRows(st)
	c.work(st)
	return c
}

// workers checks the workers' counts by state against the old fields
// and the rows.
func (c *checker) workers(st *protocol.Status) {
	wc := st.WorkerCounts
	c.check(len(st.WorkerList.Rows)+st.WorkerList.Omitted == st.Workers, "%d worker rows + %d omitted for %d workers",
		len(st.WorkerList.Rows), st.WorkerList.Omitted, st.Workers)
	c.check(wc.Working+wc.Idle+wc.Exited+wc.Dead+wc.Excluded+wc.Earlier == st.Workers, "worker counts %+v do not add up to %d", wc, st.Workers)
	c.check(st.LiveWorkers == wc.Working+wc.Idle+wc.Exited, "%d live workers, but %+v", st.LiveWorkers, wc)
	listed := map[string]int{}
	for _, w := range st.WorkerList.Rows {
		listed[w.State]++
		c.check(w.Dead == (w.State == "dead" || w.State == "earlier") || w.State == "excluded", "worker %s: %s but dead %v", w.ID, w.State, w.Dead)
		c.check((w.Current != "") == (w.State == "working"), "worker %s: %s running %q", w.ID, w.State, w.Current)
		c.check(w.Progress >= 0 && w.Progress <= 1 && (w.Progress == 0 || w.Current != "") && w.ReadSoFar >= 0,
			"worker %s: progress %v, %d bytes read so far", w.ID, w.Progress, w.ReadSoFar)
	}
	for state, n := range map[string]int{"working": wc.Working, "idle": wc.Idle, "exited": wc.Exited, "dead": wc.Dead,
		"excluded": wc.Excluded, "earlier": wc.Earlier} {
		c.check(listed[state] <= n && (st.WorkerList.Omitted > 0 || listed[state] == n), "%d %s workers listed, %d counted", listed[state], state, n)
		delete(listed, state)
	}
	c.check(len(listed) == 0, "workers in unknown states: %v", listed)
}

// taskRows checks each listed task's input and its attempts' progress.
func (c *checker) taskRows(st *protocol.Status) {
	for _, r := range st.Tasks.Rows {
		isMap := strings.HasPrefix(r.Task, "map-")
		c.check(isMap == (r.Input != "") && r.InputBytes >= 0 && (isMap || r.InputBytes == 0), "%s: input %q of %d bytes", r.Task, r.Input, r.InputBytes)
		for _, a := range r.Attempts {
			running := a.Outcome == "running"
			c.check(a.Progress >= 0 && a.Progress <= 1 && (running || a.Progress == 0) && (running || a.ReadSoFar == 0) &&
				a.ReadSoFar >= 0 && a.ReadSoFar <= r.InputBytes, "%s: %s progress %v, %d of %d bytes read so far",
				a.ID, a.Outcome, a.Progress, a.ReadSoFar, r.InputBytes)
		}
	}
}

// work checks the work done, the ETA and the mean throughput: once the
// job is over and every attempt is listed, the mean is the winners'
// input over the elapsed time.
func (c *checker) work(st *protocol.Status) {
	w := st.Work
	c.check((w.Unit == "bytes" || w.Unit == "tasks") && w.Done >= 0 && w.Done <= w.Total, "work %+v", w)
	if w.ETAMS != nil {
		c.check(*w.ETAMS >= 0 && !st.Over, "eta %d ms (over %v)", *w.ETAMS, st.Over)
	}
	tp := st.Throughput
	c.check(tp.MeanBytesPerS >= 0 && tp.MeanRecordsPerS >= 0, "mean throughput %v B/s, %v records/s", tp.MeanBytesPerS, tp.MeanRecordsPerS)
	if !st.Over || st.Tasks.Omitted > 0 || st.ElapsedMS <= 0 {
		return
	}
	var read int64
	for _, r := range st.Tasks.Rows {
		if r.AttemptsOmitted > 0 {
			return
		}
		for _, a := range r.Attempts {
			if a.Outcome == "won" {
				read += a.Read
			}
		}
	}
	want := float64(read) / (float64(st.ElapsedMS) / 1000)
	c.check(math.Abs(tp.MeanBytesPerS-want) <= 1e-6*want+1, "mean %v B/s, want %v (%d bytes won over %d ms)", tp.MeanBytesPerS, want, read, st.ElapsedMS)
}

// lookup finds a dotted path in a JSON document and prints its value.
func lookup(doc map[string]any, path string) string {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "(missing)"
		}
		if v, ok = m[k]; !ok {
			return "(missing)"
		}
	}
	return fmt.Sprint(v)
}

var (
	rowRE     = regexp.MustCompile(`<tr class="(task|worker) [^"]*"[^>]*>`)
	attrRE    = regexp.MustCompile(`data-([a-z]+)="([^"]*)"`)
	segRE     = regexp.MustCompile(`<span class="seg [^"]*"[^>]*data-outcome="([^"]*)"[^>]*>`)
	jobRE     = regexp.MustCompile(`<main id="job" data-phase="([^"]*)" data-over="([^"]*)"`)
	counterRE = regexp.MustCompile(`<div class="kv" data-(counter|user-counter)="([^"]*)"><span>.*?</span><span class="n">([0-9,-]+)</span></div>`)
)

// domCounts tallies what a DOM shows, under the keys of the dom check.
func domCounts(dom string) map[string]string {
	n := map[string]int{}
	for _, row := range rowRE.FindAllStringSubmatch(dom, -1) {
		kind := row[1] + "s"
		n[kind]++
		for _, a := range attrRE.FindAllStringSubmatch(row[0], -1) {
			switch {
			case a[1] == "state":
				n[kind+"."+a[2]]++
			case (a[1] == "failed" || a[1] == "slow" || a[1] == "recovered" || a[1] == "pool") && a[2] == "true":
				n[kind+"."+a[1]]++
			case a[1] == "input" && a[2] != "":
				n[kind+".input"]++
			}
		}
	}
	for _, s := range segRE.FindAllStringSubmatch(dom, -1) {
		n["attempts."+s[1]]++
		if strings.Contains(s[0], ` data-progress="`) {
			n["attempts.progress"]++
		}
	}
	got := map[string]string{}
	for k, v := range n {
		got[k] = strconv.Itoa(v)
	}
	if m := jobRE.FindStringSubmatch(dom); m != nil {
		got["phase"], got["over"] = m[1], m[2]
	}
	for _, m := range counterRE.FindAllStringSubmatch(dom, -1) {
		prefix := "counter."
		if m[1] == "user-counter" {
			prefix = "user."
		}
		got[prefix+m[2]] = strings.ReplaceAll(m[3], ",", "")
	}
	return got
}

var scriptRE = regexp.MustCompile(`(?s)<script.*?</script>`)

func checkDOM(dom string, args []string) []string {
	dom = scriptRE.ReplaceAllString(dom, "") // the page's script builds rows from strings like them
	got := domCounts(dom)
	var errs []string
	for _, e := range expectations(args) {
		var v string
		if id, ok := strings.CutPrefix(e.key, "#"); ok {
			m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(dom)
			v = "(missing)"
			if m != nil {
				v = m[1]
			}
		} else if v = got[e.key]; v == "" {
			v = "0"
		}
		if bad := e.check(v); bad != "" {
			errs = append(errs, bad)
		}
	}
	return errs
}

// checkPNG wants a real picture: a PNG of some size in several colours.
func checkPNG(b []byte) []string {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return []string{"not a PNG: " + err.Error()}
	}
	r := img.Bounds()
	if r.Dx() < 100 || r.Dy() < 100 {
		return []string{fmt.Sprintf("only %dx%d pixels", r.Dx(), r.Dy())}
	}
	if n := colours(img, 16); n < 16 {
		return []string{fmt.Sprintf("%d colours: blank", n)}
	}
	return nil
}

// colours counts the distinct colours of img, up to enough.
func colours(img image.Image, enough int) int {
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			if seen[[4]uint32{cr, cg, cb, ca}] = true; len(seen) >= enough {
				return len(seen)
			}
		}
	}
	return len(seen)
}
