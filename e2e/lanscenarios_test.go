// lanscenarios_test.go: the multi-host scenarios, each on a LAN of its own
// (lan_test.go). The app is mostly mrapps/straggler, word count whose
// output equals wc's, slowed by marker files put in one host's private
// directory: "straggler" makes the process's first Map call sleep,
// "slow-reduce" its first Reduce call (after that reduce attempt fetched
// its inputs). A slow first Reduce keeps the reduce phase open for
// seconds, so that a worker can be killed, cut or frozen while reducers
// are at work and later reduce tasks still need its map output; different
// delays on different hosts order the late reports before the job's end.

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"mapreduce/internal/lan"
	"mapreduce/internal/protocol"
)

// TestLAN runs the scenarios, in parallel (each has its own LAN). It
// needs root and network namespaces; it skips, saying why, without them,
// and with MR_SKIP_LAN=1. test-mr.sh runs it apart from the other tests.
func TestLAN(t *testing.T) {
	skipLAN(t)
	if !slices.Equal(expected(t, "straggler"), expected(t, "wc")) {
		t.Fatal("mrsequential straggler.so and wc.so disagree")
	}
	for _, s := range []struct {
		name string
		run  func(*lanJob)
	}{
		{"happy-wc", func(j *lanJob) { lanHappy(j, "wc") }},
		{"happy-indexer", func(j *lanJob) { lanHappy(j, "indexer") }},
		{"secret", lanSecret},
		{"owner-killed", lanOwnerKilled},
		{"partition", func(j *lanJob) { lanCutOrFreeze(j, "partition") }},
		{"straggler", lanStraggler},
		{"frozen", func(j *lanJob) { lanCutOrFreeze(j, "frozen") }},
		{"coordinator-killed", lanCoordinatorKilled},
		{"wrong-app", lanWrongApp},
		{"coordinator-restart", lanCoordinatorRestart},
		{"pool", lanPool},
		{"data-local", lanDataLocal},
	} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			runLAN(t, s.run)
		})
	}
	t.Run("mrcluster", func(t *testing.T) {
		t.Parallel()
		lanCommand(t)
	})
}

// happy-wc, happy-indexer: three workers; exactly M map and R reduce
// attempts, every worker exits 0.
func lanHappy(j *lanJob, app string) {
	j.job(lanFast...)
	for h := 1; h <= 3; h++ {
		j.worker(h, app, nil, nil)
	}
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput(app, app)
	s := j.summary()
	j.expectCounts(s, nFiles, nReduce, 3)
	lanAllWon(j.t, s)
}

// lanAllWon wants every attempt of the job to have won.
func lanAllWon(t *testing.T, s *protocol.Summary) {
	t.Helper()
	for _, task := range s.Tasks {
		for _, a := range task.Attempts {
			if a.Outcome != "won" {
				t.Fatalf("attempt %s: %s, want every attempt won", a.ID, a.Outcome)
			}
		}
	}
}

// secret: happy-wc with a job secret (MR_SECRET) on every host: the same
// counts; the coordinator refuses /status without it; the secret is in
// no log.
func lanSecret(j *lanJob) {
	j.secret = randomSecret(j.t)
	j.job(lanFast...)
	// Before any worker joins: GET /status without the token is refused.
	j.client.Timeout = 5 * time.Second
	for deadline := time.Now().Add(quickExit); ; {
		_, err := statusBody(j.client, j.net.Coord(), "")
		var ue unauthorized
		if errors.As(err, &ue) && ue != "" {
			break
		}
		if err == nil {
			j.t.Fatal("the coordinator answered GET /status without the secret's token: it runs without the secret")
		}
		if time.Now().After(deadline) {
			j.t.Fatalf("the coordinator did not refuse GET /status within %s: %v", quickExit, err)
		}
		j.hosts[0].Wait(50 * time.Millisecond)
	}
	for h := 1; h <= 3; h++ {
		j.worker(h, "wc", nil, nil)
	}
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput("wc", "wc")
	s := j.summary()
	j.expectCounts(s, nFiles, nReduce, 3)
	lanAllWon(j.t, s)
	j.noSecretInLogs()
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// owner-killed: as the reduce phase starts, kill -9 the worker that won
// the most maps. Every reducer sits 1 s in its first Reduce (its inputs
// already fetched); the next reduce attempts then fetch from the dead
// owner, fail, and report it, well before the 4 s heartbeat timeout
// would tell: its maps (and only they) run once more, elsewhere.
func lanOwnerKilled(j *lanJob) {
	j.job("-heartbeat-timeout", "4s", "-task-timeout", "10s")
	for h := 1; h <= 3; h++ {
		j.straggler(h, "slow-reduce=1s")
	}
	st := j.waitStatus(30*time.Second, "end of the map phase", func(st *protocol.Status) bool { return st.Phase == "reduce" })
	// One look at /status: the top map owner, its host, its maps.
	won := map[string]int{}
	for _, w := range st.WorkerList.Rows {
		won[w.ID] = len(mapsWon(st, w.ID))
	}
	ids := make([]string, 0, len(won))
	for id := range won {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return won[ids[a]] > won[ids[b]] || won[ids[a]] == won[ids[b]] && ids[a] < ids[b] })
	victim, vh := ids[0], -1
	for _, w := range st.WorkerList.Rows {
		if w.ID == victim {
			vh = j.hostOf(w.Addr)
		}
	}
	if vh < 1 {
		j.t.Fatalf("no host for worker %s", victim)
	}
	owned := mapsWon(st, victim)
	j.kill(vh, syscall.SIGKILL)
	j.waitCoordinator()
	if status, ok := j.hosts[vh].Wait(5 * time.Second); !ok || status != 137 {
		j.t.Fatalf("the killed worker's status is %d (exited: %v), want 137", status, ok)
	}
	var survivors []int
	for h := 1; h <= 3; h++ {
		if h != vh {
			survivors = append(survivors, h)
		}
	}
	j.waitWorkers(survivors...)
	j.checkOutput("straggler", "wc")
	s := j.summary()
	j.checkRedone(s, victim, owned)
	reports := 0
	for _, task := range s.Tasks {
		for _, a := range task.Attempts {
			if a.Worker == victim {
				reports += a.FetchFailures
			}
		}
	}
	if reports == 0 {
		j.t.Fatalf("no reducer reported a failed fetch from %s", victim)
	}
	j.t.Logf("killed %s (host %d), owner of %v; %d fetch failures reported", victim, vh, owned, reports)
}

// partition, frozen: host 3 starts alone, so it owns map output; it sits
// in a 4 s first Reduce when it is cut off (its switch port down) or
// stopped (SIGSTOP), until declared dead; then it comes back (link up,
// SIGCONT): its work is redone, its late upload is refused, it registers
// again and finishes, while hosts 1 and 2 (8 s first Reduce) keep the job
// open until then.
func lanCutOrFreeze(j *lanJob, how string) {
	j.job(lanNoBackup...)
	j.straggler(3, "slow-reduce=4s", "-lost-after", "60s")
	j.waitStatus(20*time.Second, "map done by host 3", func(st *protocol.Status) bool { return st.MapsDone >= 1 })
	j.straggler(1, "slow-reduce=8s")
	j.straggler(2, "slow-reduce=8s")
	j.waitLog(3, `^straggler: Reduce sleeping`, 30*time.Second, "host 3 never reached its slow Reduce")
	st, err := j.status()
	if err != nil {
		j.t.Fatal(err)
	}
	vid, ra := j.hostWorker(st, 3)
	owned := mapsWon(st, vid)
	if !strings.HasPrefix(ra, "reduce-") {
		j.t.Fatalf("host 3 (%s) sleeps in its Reduce, but /status shows it running %q", vid, ra)
	}
	t0 := time.Now()
	cut, heal := func() error { return j.net.LinkDown(3) }, func() error { return j.net.LinkUp(3) }
	if how == "frozen" {
		cut = func() error { return j.hosts[3].Signal(syscall.SIGSTOP) }
		heal = func() error { return j.hosts[3].Signal(syscall.SIGCONT) }
	}
	if err := cut(); err != nil {
		j.t.Fatal(err)
	}
	_, died := j.pollStatus(10*time.Second, func(st *protocol.Status) bool { return st.WorkerCounts.Dead == 1 })
	if err := heal(); err != nil {
		j.t.Fatal(err)
	}
	if died != nil {
		j.t.Fatalf("%s (host 3) was not declared dead within 10 s: %v", vid, died)
	}
	j.t.Logf("host 3 (%s, owner of %v, running %s) %s for %.1fs", vid, owned, ra, how, time.Since(t0).Seconds())
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput("straggler", "wc")
	// It came back as a fourth worker; its late upload of ra did not win.
	s := j.summary()
	if len(s.Workers) != 4 {
		j.t.Fatalf("%d workers, want 4 (host 3 registered again)", len(s.Workers))
	}
	if o := outcome(s, ra); o != "died" {
		j.t.Fatalf("%s: %s, want died", ra, o)
	}
	if w := task(s, strings.Split(ra, ".")[0]).Winner; w == ra {
		j.t.Fatalf("%s won after its worker was declared dead", ra)
	}
	j.checkRedone(s, vid, owned)
}

// straggler: host 3's first Map sleeps 8 s (task timeout 5 s) while it
// heartbeats: once the other maps are done, a backup elsewhere wins (the
// end-of-phase rule, after half the task timeout), and nobody ever
// connects to host 3's file server (no TCP passive open in its
// namespace); that its late report is ignored, mr/scheduler's tests pin.
// Hosts 1 and 2 sit 8 s in their first Reduce, so that the job is still
// open when host 3's late report comes. While host 3's worker and the
// coordinator run, each sees its own files only.
func lanStraggler(j *lanJob) {
	j.job(lanFast...)
	j.straggler(3, "straggler=8s")
	j.waitLog(3, `^straggler: Map\(.*\) sleeping`, 20*time.Second, "host 3 never reached its slow Map")
	j.checkIsolation(3)
	st, err := j.status()
	if err != nil {
		j.t.Fatal(err)
	}
	vid, slow := j.hostWorker(st, 3)
	if !regexp.MustCompile(`^map-[0-9]+\.a1$`).MatchString(slow) {
		j.t.Fatalf("host 3 (%s) sleeps in its Map, but /status shows it running %q", vid, slow)
	}
	j.straggler(1, "slow-reduce=8s")
	j.straggler(2, "slow-reduce=8s")
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput("straggler", "wc")
	// Hosts 1 and 2's sleeping first reduces are stragglers too: host 3
	// may back them up once it is free, so reduce attempts are not counted.
	s := j.summary()
	for _, w := range s.Workers {
		if w.Dead {
			j.t.Fatalf("worker %s was declared dead", w.ID)
		}
	}
	if o := outcome(s, slow); o != "lost" {
		j.t.Fatalf("%s: %s, want lost (to a backup)", slow, o)
	}
	if n := len(task(s, strings.TrimSuffix(slow, ".a1")).Attempts); n != 2 {
		j.t.Fatalf("%s has %d attempts, want 2", strings.TrimSuffix(slow, ".a1"), n)
	}
	if s.Maps != nFiles || s.Reduces != nReduce || s.MapAttempts != nFiles+1 || len(s.Workers) != 3 {
		j.t.Fatalf("maps %d, reduces %d, map attempts %d, workers %d; want %d, %d, %d, 3",
			s.Maps, s.Reduces, s.MapAttempts, len(s.Workers), nFiles, nReduce, nFiles+1)
	}
	// Nothing but reducers ever connects to a worker: the counter shows
	// whether anyone fetched from host 3 (and, on 1 and 2, that it counts).
	opens := [4]int{}
	for h := 1; h <= 3; h++ {
		opens[h] = j.passiveOpens(h)
	}
	if opens[3] != 0 {
		j.t.Fatalf("host 3 accepted %d TCP connections: its output was fetched", opens[3])
	}
	if opens[1]+opens[2] == 0 {
		j.t.Fatal("hosts 1 and 2 accepted no connection: reducers fetched nothing?")
	}
	j.t.Logf("%s on %s lost to a backup; host 3 accepted %d connections, hosts 1 and 2 %d and %d", slow, vid, opens[3], opens[1], opens[2])
}

// passiveOpens is the TCP connections ever accepted in host h's namespace
// (PassiveOpens of /proc/net/snmp read there).
func (j *lanJob) passiveOpens(h int) int {
	j.t.Helper()
	out, err := exec.Command("ip", "netns", "exec", j.net.NS(h), "cat", "/proc/net/snmp").Output()
	if err != nil {
		j.t.Fatalf("reading /proc/net/snmp in host %d's namespace: %v", h, err)
	}
	var header []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Tcp:" {
			continue
		}
		if header == nil {
			header = f
			continue
		}
		if i := slices.Index(header, "PassiveOpens"); i > 0 && i < len(f) {
			var n int
			fmt.Sscan(f[i], &n)
			return n
		}
	}
	j.t.Fatalf("no Tcp PassiveOpens in host %d's /proc/net/snmp", h)
	return 0
}

// checkIsolation: while host h's worker and the coordinator run, each sees
// its own files only. Seen through a process's /proc/PID/root (its mount
// namespace), its private directory holds its files while the same path
// is an empty directory for us and for the other; host 0's inputs are
// invisible from host h.
func (j *lanJob) checkIsolation(h int) {
	j.t.Helper()
	wpid, err := j.hosts[h].Pid()
	if err != nil {
		j.t.Fatal(err)
	}
	cpid, err := j.hosts[0].Pid()
	if err != nil {
		j.t.Fatal(err)
	}
	mine, coord := j.hosts[h].FS, j.hosts[0].FS
	root := func(pid int, path string) string { return fmt.Sprintf("/proc/%d/root%s", pid, path) }
	if fi, err := os.Stat(root(wpid, mine+"/run")); err != nil || !fi.IsDir() {
		j.t.Fatalf("host %d's run/ is not in its private directory: %v", h, err)
	}
	if fi, err := os.Stat(root(cpid, coord+"/input-1.txt")); err != nil || !fi.Mode().IsRegular() {
		j.t.Fatalf("host 0's input-1.txt is not in its private directory: %v", err)
	}
	for _, d := range []string{mine, coord} {
		if names := dirNames(j.t, d); len(names) > 0 {
			j.t.Fatalf("the private directory %s shows through on the host: %v", d, names)
		}
	}
	if len(dirNames(j.t, root(wpid, coord))) > 0 || len(dirNames(j.t, root(cpid, mine))) > 0 {
		j.t.Fatalf("host %d and host 0 see each other's files", h)
	}
}

// dirNames lists dir, which must exist.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// coordinator-killed: kill -9 the coordinator while every worker sits in a
// 20 s Reduce: every worker is gone within 5 s, with a non-zero status
// and the last line "...coordinator at ADDR stopped answering...".
func lanCoordinatorKilled(j *lanJob) {
	j.job(lanFast...)
	for h := 1; h <= 3; h++ {
		j.straggler(h, "slow-reduce=20s")
	}
	for h := 1; h <= 3; h++ {
		j.waitLog(h, `^straggler: Reduce sleeping`, 30*time.Second, fmt.Sprintf("host %d never reached its slow Reduce", h))
	}
	j.kill(0, syscall.SIGKILL)
	t0 := time.Now()
	var gone [4]float64
	for h := 1; h <= 3; h++ {
		j.hosts[h].Wait(time.Until(t0.Add(8 * time.Second)))
		gone[h] = time.Since(t0).Seconds()
	}
	j.t.Logf("workers gone %.1fs, %.1fs, %.1fs after the coordinator was killed", gone[1], gone[2], gone[3])
	re := regexp.MustCompile(`^mrworker: mr: coordinator lost: coordinator at ` + regexp.QuoteMeta(j.net.Coord()) + ` stopped answering`)
	for h := 1; h <= 3; h++ {
		status, ok := j.hosts[h].Wait(0)
		switch {
		case !ok || gone[h] > 5.0:
			j.t.Fatalf("the worker on host %d was still running %.1fs after the coordinator was killed", h, gone[h])
		case status == 0:
			j.t.Fatalf("the worker on host %d exited 0", h)
		case !re.MatchString(j.hosts[h].LastLine()):
			j.t.Fatalf("host %d's last line is: %s", h, j.hosts[h].LastLine())
		}
	}
}

// wrong-app: an indexer.so worker joins a straggler.so job: one clear
// line, exit 1; the job is unaffected.
func lanWrongApp(j *lanJob) {
	j.job(lanFast...)
	j.straggler(1, "slow-reduce=3s")
	j.straggler(2, "slow-reduce=3s")
	j.waitStatus(20*time.Second, "hosts 1 and 2 joined", func(st *protocol.Status) bool { return st.Workers == 2 })
	p := j.worker(3, "indexer", nil, nil)
	status, ok := p.Wait(10 * time.Second)
	switch {
	case !ok:
		j.t.Fatal("the indexer worker still runs 10 s after starting")
	case status != 1:
		j.t.Fatalf("the indexer worker exited with status %d, want 1", status)
	}
	want := fmt.Sprintf("mrworker: mr: registering with %s: mr: worker runs a different app than the job: "+
		"worker at %s:%d runs \"indexer\", the job runs \"straggler\"", j.net.Coord(), j.net.Addr(3), lan.WorkerPort)
	if out := strings.TrimRight(p.Output(), "\n"); out != want {
		j.t.Fatalf("the refused worker wrote %q, want the one line %q", out, want)
	}
	if j.hosts[0].Exited() {
		j.t.Fatal("the job ended before the wrong worker was refused")
	}
	j.waitCoordinator()
	j.waitWorkers(1, 2)
	j.checkOutput("straggler", "wc")
	j.expectCounts(j.summary(), nFiles, nReduce, 2)
}

// coordinator-restart: a journaled job (-journal): kill -9 the
// coordinator once host 1 (no delay) has committed reduces while hosts 2
// and 3 sit 6 s in their first Reduce; 2 s later the same command on
// host 0, its out/ directory (journal, committed outputs) as the crash
// left it: the workers waited and rejoin, no Map runs again, no committed
// reduce runs again, the summary records the restart, the output is
// mrsequential's.
func lanCoordinatorRestart(j *lanJob) {
	flags := append([]string{"-journal"}, lanNoBackup...)
	j.coordinator(lan.Spec{Log: "host0.run1.log"}, inputs, flags...)
	j.straggler(1)
	j.straggler(2, "slow-reduce=6s")
	j.straggler(3, "slow-reduce=6s")
	for h := 2; h <= 3; h++ {
		j.waitLog(h, `^straggler: Reduce sleeping`, 30*time.Second, fmt.Sprintf("host %d never reached its slow Reduce", h))
	}
	st := j.waitStatus(20*time.Second, "reduce committed", func(st *protocol.Status) bool { return st.ReducesDone >= 1 })
	// Committed: done on /status 1 s before the kill (the status shows a
	// commit a moment before the journal has it).
	var committed []string
	for _, r := range st.Tasks.Rows {
		if strings.HasPrefix(r.Task, "reduce-") && r.State == "done" {
			committed = append(committed, r.Task)
		}
	}
	time.Sleep(1 * time.Second)
	if _, err := j.pollStatus(time.Second, func(st *protocol.Status) bool { return st.Phase == "reduce" }); err != nil {
		j.t.Fatalf("the job reached its merge before the kill, nothing to resume: %v", err)
	}
	j.kill(0, syscall.SIGKILL)
	if status, ok := j.hosts[0].Wait(10 * time.Second); !ok || status != 137 {
		j.t.Fatalf("the killed coordinator's status is %d (exited: %v), want 137", status, ok)
	}
	saved := j.path("host0.out.run1")
	if err := os.Rename(j.hosts[0].Out, saved); err != nil {
		j.t.Fatal(err)
	}
	for h := 1; h <= 3; h++ {
		if j.hosts[h].Exited() {
			j.t.Fatalf("the worker on host %d exited when its journaled job's coordinator died: %s", h, j.hosts[h].LastLine())
		}
	}
	time.Sleep(2 * time.Second) // the restart comes 2 s after the crash, as an operator's would
	j.coordinator(lan.Spec{Log: "host0.run2.log", Restore: saved}, inputs, flags...)
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput("straggler", "wc")
	// Every map was committed and its owner is alive: all are taken back,
	// as is every reduce committed before the kill; the workers waited
	// (they exited 0, not 1).
	s := j.summary()
	var recovered []string
	for _, task := range s.Tasks {
		if task.Recovered {
			recovered = append(recovered, task.Task)
		}
	}
	for m := 0; m < nFiles; m++ {
		if !slices.Contains(recovered, fmt.Sprintf("map-%d", m)) {
			j.t.Fatalf("map-%d ran again after the restart; its owner was alive", m)
		}
	}
	for _, r := range committed {
		if !slices.Contains(recovered, r) {
			j.t.Fatalf("%s, committed before the kill, ran again after the restart", r)
		}
	}
	if len(s.Restarts) != 1 {
		j.t.Fatalf("the summary records %d restarts, want 1", len(s.Restarts))
	}
	j.t.Logf("killed the coordinator with %d reduces committed (%v); restarted 2 s later: taken back %v; no map ran again",
		len(committed), committed, recovered)
}

// pool: a pool: mrworker without a plugin, once on each worker host, with
// the job secret; two jobs (wc, then indexer) started on host 0 with -app
// PATH.so, copying nothing to the worker hosts: every worker fetches each
// plugin and serves both jobs, both outputs are mrsequential's, the
// workers still run afterwards and exit 0 on SIGTERM.
func lanPool(j *lanJob) {
	j.secret = randomSecret(j.t)
	for h := 1; h <= 3; h++ {
		j.worker(h, "", nil, nil)
	}
	var last *protocol.Summary
	for _, app := range []string{"wc", "indexer"} {
		j.coordinator(lan.Spec{Log: "host0." + app + ".log"}, inputs,
			append([]string{"-app", filepath.Join(binDir, app+".so"), "-wait-workers", "3"}, lanFast...)...)
		j.waitCoordinator()
		j.checkOutput(app, app)
		last = j.summary()
		j.expectCounts(last, nFiles, nReduce, 3)
		if err := os.Rename(j.hosts[0].Out, j.path("host0."+app+".out")); err != nil {
			j.t.Fatal(err)
		}
	}
	// Each of the second job's three workers is a pool worker that served the first.
	served := 0
	for _, w := range last.Workers {
		if w.Pool && w.Jobs == 1 {
			served++
		}
	}
	if served != 3 {
		j.t.Fatalf("%d of the indexer job's workers are pool workers that served the wc job, want 3", served)
	}
	for h := 1; h <= 3; h++ {
		if j.hosts[h].Exited() {
			j.t.Fatalf("the pool worker on host %d exited after the jobs: %s", h, j.hosts[h].LastLine())
		}
		j.kill(h, syscall.SIGTERM)
	}
	for h := 1; h <= 3; h++ {
		status, ok := j.hosts[h].Wait(10 * time.Second)
		switch {
		case !ok:
			j.t.Fatalf("the pool worker on host %d still runs 10 s after SIGTERM", h)
		case status != 0:
			j.t.Fatalf("the pool worker on host %d exited with status %d on SIGTERM", h, status)
		}
	}
	j.noSecretInLogs()
}

// data-local: inputs where they live, every link limited to 100mbit (tc
// tbf): every input on every worker (>= 95 % of map input bytes read
// locally, at most 1 % from the coordinator); each input on 2 of 3
// workers with a coordinator holding only the manifest (nothing from
// it); a worker alone whose copy of one input has one byte changed, same
// size and time (the output is still mrsequential's, its log names that
// file once, that map read from the coordinator).
func lanDataLocal(j *lanJob) {
	if err := j.net.Limit("100mbit"); err != nil {
		j.t.Fatalf("cannot limit the links: %v", err)
	}
	abs := make([]string, len(inputs))
	for i, in := range inputs {
		abs[i] = filepath.Join(inDir, in)
	}
	c := j.dataJob("all", lan.Spec{Log: "host0.all.log"}, inputs, abs)
	if pct := c.LocalBytes * 100 / max(c.MapInputBytes, 1); pct < 95 || c.CoordinatorBytes*100/max(c.MapInputBytes, 1) > 1 || c.LocalMaps != nFiles {
		j.t.Fatalf("every input on every worker: %d%% read locally, %d of %d bytes from the coordinator, %d local maps",
			pct, c.CoordinatorBytes, c.MapInputBytes, c.LocalMaps)
	}
	manifest := j.path("corpus.manifest")
	if out, err := exec.Command(filepath.Join(binDir, "mrmanifest"), append([]string{"-o", manifest}, abs...)...).CombinedOutput(); err != nil {
		j.t.Fatalf("mrmanifest: %v: %s", err, lastLine(out))
	}
	c = j.dataJob("spread", lan.Spec{Log: "host0.spread.log", Files: map[string]string{"corpus.manifest": manifest}}, nil, abs,
		"-manifest", "corpus.manifest")
	if c.CoordinatorBytes != 0 || c.CoordinatorMaps != 0 {
		j.t.Fatalf("a coordinator holding only the manifest sent %d bytes for %d maps", c.CoordinatorBytes, c.CoordinatorMaps)
	}
	// Host 1's worker, alone, holds every input, one of them with a byte
	// changed (same size, same time): it maps them all, that one from the
	// coordinator.
	corrupt := j.path("corrupt")
	os.MkdirAll(corrupt, 0o755)
	var data []string
	for _, f := range abs {
		dst := filepath.Join(corrupt, filepath.Base(f))
		if err := copyWithTime(f, dst, filepath.Base(f) == "input-3.txt"); err != nil {
			j.t.Fatal(err)
		}
		data = append(data, dst)
	}
	os.RemoveAll(j.path("host0.out"))
	j.coordinator(lan.Spec{Log: "host0.changed.log"}, inputs, lanFast...)
	j.worker(1, "wc", nil, data)
	j.waitCoordinator()
	j.waitWorkers(1)
	j.checkOutput("wc", "wc")
	log := j.hosts[1].Output()
	if !strings.Contains(log, `msg="input copy not used" file=data/input-3.txt`) || strings.Count(log, `msg="input copy not used"`) != 1 {
		j.t.Fatalf("host 1's log does not name the changed copy exactly once (msg=\"input copy not used\" file=data/input-3.txt)")
	}
	s := j.summary()
	var differ []string
	for _, w := range s.Workers {
		differ = append(differ, w.Differ...)
	}
	if s.Counters.CoordinatorMaps != 1 || s.Counters.LocalMaps != nFiles-1 || !slices.Equal(differ, []string{"input-3.txt"}) {
		j.t.Fatalf("a changed copy: %d maps from the coordinator, %d local, copies that differ %v; want 1, %d, [input-3.txt]",
			s.Counters.CoordinatorMaps, s.Counters.LocalMaps, differ, nFiles-1)
	}
	j.t.Log("100mbit links: all on every worker read locally; manifest-only coordinator sent nothing; a changed copy was named and not used")
}

// dataJob runs one wc job whose workers hold the inputs as lan.DataFor
// says for mode; its output is mrsequential's, every process exits 0. It
// returns the job's counters.
func (j *lanJob) dataJob(mode string, spec lan.Spec, names, files []string, flags ...string) protocol.Counters {
	j.t.Helper()
	os.RemoveAll(j.path("host0.out"))
	j.coordinator(spec, names, append(append(flags, lanFast...), "-wait-workers", "3")...)
	for h := 1; h <= 3; h++ {
		j.worker(h, "wc", nil, lan.DataFor(mode, 3, h, files))
	}
	j.waitCoordinator()
	j.waitWorkers(1, 2, 3)
	j.checkOutput("wc", "wc")
	return j.summary().Counters
}

// copyWithTime copies src to dst with src's modification time; with
// change, the byte at offset 1000 becomes 'Q' (same size, same time).
func copyWithTime(src, dst string, change bool) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if change {
		b[1000] = 'Q'
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// mrcluster: the command (scripts/cluster.sh) runs a wc job with a secret
// on a LAN of two worker hosts: exit 0, mr-wc-all and the summary copied
// here, mr-wc-all mrsequential's; then a job that lingers, interrupted
// (SIGINT) once over: exit 130. Neither leaves a namespace or the root
// namespace's cable behind.
func lanCommand(t *testing.T) {
	t0 := time.Now()
	defer func() { logVerdict(t, time.Since(t0)) }()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range inputs {
		if err := os.Link(filepath.Join(inDir, f), filepath.Join(in, f)); err != nil {
			t.Fatal(err)
		}
	}
	p := start(t, filepath.Join(dir, "mrcluster.log"), dir, nil, "mrcluster", "-workers", "2", "-secret", "-timeout", "60", "in")
	p.mustExit(t, lanJobTimeout, 0)
	checkNoLAN(t, p)
	got, err := os.ReadFile(filepath.Join(dir, "mr-wc-all"))
	if want := expected(t, "wc"); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("mr-wc-all (%d bytes, %v) is not mrsequential's output (%d bytes)", len(got), err, len(want))
	}
	if s := readSummary(t, filepath.Join(dir, "mr-wc-summary.json")); s.Phase != "done" || len(s.Workers) != 2 {
		t.Fatalf("summary: phase %s, %d workers; want done, 2", s.Phase, len(s.Workers))
	}
	p = start(t, filepath.Join(dir, "linger.log"), dir, nil, "mrcluster", "-workers", "1", "-linger", "1m", "-timeout", "60", "in")
	for deadline := time.Now().Add(lanJobTimeout); !strings.Contains(p.output(), "mrcluster: job over;"); {
		if _, exited := p.wait(50 * time.Millisecond); exited || time.Now().After(deadline) {
			t.Fatalf("no \"job over\" line from mrcluster -linger 1m: %s", p.lastLine())
		}
	}
	syscall.Kill(p.cmd.Process.Pid, syscall.SIGINT)
	p.mustExit(t, 20*time.Second, 130)
	checkNoLAN(t, p)
}

// checkNoLAN fails t if mrcluster p left a namespace or its cable in the
// root namespace behind.
func checkNoLAN(t *testing.T, p *proc) {
	t.Helper()
	prefix := fmt.Sprintf("mrlan-%d-", p.cmd.Process.Pid)
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			t.Errorf("mrcluster left the namespace %s behind", e.Name())
		}
	}
	if out, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(out), fmt.Sprintf(" mrl-%d-", p.cmd.Process.Pid)) {
		t.Errorf("mrcluster left its cable in the root namespace behind")
	}
}
