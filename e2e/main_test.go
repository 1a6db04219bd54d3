// main_test.go builds the binaries and plugins once, generates the
// inputs once, and keeps mrsequential's reference outputs.

package e2e

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The inputs of every job: nFiles generated files of fileSize bytes.
const (
	nFiles   = 8
	fileSize = 150000
	nReduce  = 10
)

var (
	root   string   // the repository
	binDir string   // the binaries and plugins under test
	inDir  string   // the generated inputs, input-1.txt .. input-8.txt
	inputs []string // their names, relative to inDir (as the coordinator is given them)
	tmpDir string   // what TestMain made, removed at its end
)

// buildFlags are scripts/build.sh -race's go build flags
// (TestBuildFlagsAreTheScripts keeps them so): -race as test-mr.sh runs
// the suite.
var buildFlags = []string{"-trimpath", "-race"}

// binaries and plugins are what the tests run.
var (
	binaries = []string{"mrcoordinator", "mrworker", "mrsequential", "mrgen", "mrhostile", "mrmanifest", "mrstatuscheck", "mrcluster"}
	plugins  = []string{"wc", "indexer", "mtiming", "rtiming", "jobcount", "early_exit", "crash", "nocrash",
		"poison", "straggler", "gated", "counters", "grep", "sort"}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // every test skips
	}
	var err error
	if tmpDir, err = os.MkdirTemp("", "mr-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmpDir)
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// setUp finds or builds the binaries and generates the inputs.
func setUp() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root = filepath.Dir(wd)
	if binDir = os.Getenv("MR_E2E_BIN"); binDir == "" {
		binDir = filepath.Join(tmpDir, "bin")
		start := time.Now()
		if err := build(binDir); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "e2e: built %d binaries and %d plugins in %.0f s\n", len(binaries), len(plugins), time.Since(start).Seconds())
	}
	for _, f := range append(append([]string{}, binaries...), soNames()...) {
		if _, err := os.Stat(filepath.Join(binDir, f)); err != nil {
			return fmt.Errorf("%s is missing (MR_E2E_BIN=%s)", f, os.Getenv("MR_E2E_BIN"))
		}
	}
	inDir = filepath.Join(tmpDir, "inputs")
	out, err := exec.Command(filepath.Join(binDir, "mrgen"), "-out", inDir, "-files", fmt.Sprint(nFiles),
		"-size", fmt.Sprint(fileSize), "-seed", "1", "-prefix", "input-").CombinedOutput()
	if err != nil {
		return fmt.Errorf("mrgen: %v: %s", err, out)
	}
	for i := 1; i <= nFiles; i++ {
		inputs = append(inputs, fmt.Sprintf("input-%d.txt", i))
	}
	return nil
}

func soNames() []string {
	var names []string
	for _, p := range plugins {
		names = append(names, p+".so")
	}
	return names
}

// build builds the binaries and plugins into dir as scripts/build.sh does:
// the binaries beside one plugin (which compiles, once, what every plugin
// shares), then the other plugins, one per CPU at a time.
func build(dir string) error {
	var pkgs []string
	for _, b := range binaries {
		pkgs = append(pkgs, "./main/"+b)
	}
	first := []func() error{
		func() error { return goBuild(append([]string{"-o", dir + "/"}, pkgs...)...) },
		func() error { return buildPlugin(dir, plugins[0]) },
	}
	if err := all(2, first); err != nil {
		return err
	}
	var rest []func() error
	for _, p := range plugins[1:] {
		rest = append(rest, func() error { return buildPlugin(dir, p) })
	}
	return all(runtime.NumCPU(), rest)
}

func buildPlugin(dir, app string) error {
	return goBuild("-buildmode=plugin", "-o", filepath.Join(dir, app+".so"), "./mrapps/"+app)
}

// goBuild runs go build with buildFlags in the repository.
func goBuild(args ...string) error {
	cmd := exec.Command("go", append(append([]string{"build"}, buildFlags...), args...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// all runs fs, at most n at a time, and returns their errors joined.
func all(n int, fs []func() error) error {
	sem := make(chan struct{}, n)
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			errs[i] = f()
			<-sem
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

var references sync.Map // app -> *reference

type reference struct {
	once sync.Once
	out  []byte
	err  error
}

// expected is mrsequential's output of app on the inputs, run where they
// are under the names the coordinator is given (Map sees the same names),
// once per app and flags (flags: mrsequential's, as -split-size N, for a
// job whose Map sees splits).
func expected(t testing.TB, app string, flags ...string) []byte {
	t.Helper()
	v, _ := references.LoadOrStore(strings.Join(append([]string{app}, flags...), " "), &reference{})
	r := v.(*reference)
	r.once.Do(func() {
		dir, err := os.MkdirTemp(tmpDir, "seq-"+app+"-")
		if err != nil {
			r.err = err
			return
		}
		for _, in := range inputs {
			if err := os.Link(filepath.Join(inDir, in), filepath.Join(dir, in)); err != nil {
				r.err = err
				return
			}
		}
		args := append(append(slices.Clone(flags), filepath.Join(binDir, app+".so")), inputs...)
		cmd := exec.Command(filepath.Join(binDir, "mrsequential"), args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			r.err = fmt.Errorf("mrsequential %s.so: %v: %s", app, err, lastLine(out))
			return
		}
		r.out, r.err = os.ReadFile(filepath.Join(dir, "mr-out-0"))
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.out
}

// lastLine is the last non-empty line of b.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return ""
}

// TestBuildFlagsAreTheScripts keeps buildFlags equal to
// scripts/build.sh -race's, so that plugins built either way load in
// binaries built the other way.
func TestBuildFlagsAreTheScripts(t *testing.T) {
	skipShort(t)
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "build.sh"), "-race", "-flags").Output()
	if err != nil {
		t.Fatalf("scripts/build.sh -race -flags: %v", err)
	}
	if got, want := string(bytes.TrimSpace(out)), strings.Join(buildFlags, " "); got != want {
		t.Fatalf("scripts/build.sh -race builds with %q, these tests with %q", got, want)
	}
}

func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real processes: not with -short")
	}
}
