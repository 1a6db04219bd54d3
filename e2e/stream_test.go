// stream_test.go: a streaming job (mrcoordinator -mapper, -reducer,
// -file) on real processes.

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Word count as two scripts, shipped with -file to two pool workers
// under a job secret: mr-wc-all is mrsequential's output with the same
// flags and, in Python (when python3 is here), wc.so's too; awk's
// [A-Za-z] words differ from wc.so's on the inputs' non-ASCII letters.
func TestStreaming(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	j.secret = "stream-secret"
	j.addr = freeAddr(t)
	scripts, sameAsPlugin := writeWordCountScripts(t, j.path("scripts"))
	var pool []*proc
	for _, w := range []string{"p1", "p2"} {
		run := j.path(w, "run")
		os.MkdirAll(run, 0o755)
		pool = append(pool, start(t, j.path(w+".log"), j.path(w), j.env(), "mrworker", "-coordinator", j.addr, "-dir", run))
	}
	flags := []string{"-mapper", scripts.mapper, "-reducer", scripts.reducer, "-combiner", scripts.reducer}
	for _, f := range scripts.files {
		flags = append(flags, "-file", f)
	}
	j.startCoordinator(append([]string{"-addr", j.addr, "-app", "wc", "-wait-workers", "2"}, flags...)...)
	j.coord.mustExit(t, jobTimeout, 0)
	all := j.checkFiles("wc")
	ref := j.path("coord", "mr-ref")
	if status, stderr := answer(t, j.path("coord"), nil, filepath.Join(binDir, "mrsequential"),
		append(append(flags, "-o", ref), j.inputs...)...); status != 0 {
		t.Fatalf("mrsequential -mapper ...: status %d: %s", status, stderr)
	}
	if want, _ := os.ReadFile(ref); !bytes.Equal(all, want) {
		t.Fatalf("mr-wc-all (%d bytes) differs from mrsequential -mapper ...'s output (%d bytes)", len(all), len(want))
	}
	if sameAsPlugin && !bytes.Equal(all, expected(t, "wc")) {
		t.Fatalf("mr-wc-all of the Python scripts differs from wc.so's output")
	}
	for _, w := range j.summary("wc").Workers {
		if !w.Pool {
			t.Errorf("worker %s is no pool worker", w.ID)
		}
	}
	for _, p := range pool {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range pool {
		p.mustExit(t, exitTimeout, 0)
	}
}

// wordCountScripts are a word count's commands and the files they run.
type wordCountScripts struct {
	mapper, reducer string
	files           []string
}

// writeWordCountScripts writes a word count as two scripts in dir: in
// Python if python3 is here (then its words are wc.so's: runs of
// letters, by Unicode), else in awk.
func writeWordCountScripts(t *testing.T, dir string) (wordCountScripts, bool) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	if _, err := exec.LookPath("python3"); err == nil {
		mapper := "import sys\n" +
			"sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')\n" +
			"for line in sys.stdin:\n" +
			"    for w in ''.join(c if c.isalpha() else ' ' for c in line).split():\n" +
			"        print(w + '\\t1')\n"
		reducer := "import sys\n" +
			"sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')\n" +
			"key, n = None, 0\n" +
			"for line in sys.stdin:\n" +
			"    k, v = line.rstrip('\\n').split('\\t', 1)\n" +
			"    if k != key:\n" +
			"        if key is not None:\n" +
			"            print(key + '\\t' + str(n))\n" +
			"        key, n = k, 0\n" +
			"    n += int(v)\n" +
			"if key is not None:\n" +
			"    print(key + '\\t' + str(n))\n"
		files := []string{writeScript(t, dir, "wc_map.py", mapper), writeScript(t, dir, "wc_reduce.py", reducer)}
		return wordCountScripts{"python3 wc_map.py", "python3 wc_reduce.py", files}, true
	}
	t.Log("python3 is not here: the word count is in awk, and its words are not wc.so's")
	mapper := "#!/bin/sh\nexec awk '{ n = split($0, w, /[^A-Za-z]+/); for (i = 1; i <= n; i++) if (w[i] != \"\") print w[i] \"\\t1\" }'\n"
	reducer := "$1 != k { if (NR > 1) print k \"\\t\" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k \"\\t\" n }\n"
	files := []string{writeScript(t, dir, "wc_map.sh", mapper), writeScript(t, dir, "wc_sum.awk", reducer)}
	return wordCountScripts{"./wc_map.sh", "awk -F'\t' -f wc_sum.awk", files}, false
}

// writeScript writes a script and returns its path.
func writeScript(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
