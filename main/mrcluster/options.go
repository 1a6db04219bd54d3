// options.go: mrcluster's command line, checked before anything is built.

package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"mapreduce/internal/input"
	"mapreduce/internal/lan"
)

// options are the command line's flags and inputs.
type options struct {
	workers, nreduce, timeout int
	app, secretFile, logDir   string
	lingerText, rate, split   string
	wdata, cdata              string
	secret, binary, keep, v   bool
	linger                    int // -linger in seconds
	inputs                    []string

	binDir string            // where the binaries are
	names  []string          // the inputs' names on host 0
	copies map[string]string // host 0's copies: name there -> file here
	files  []string          // the inputs' files, in the coordinator's order
}

// parse reads args; status is -1 to go on, else the exit status (after
// the usage, or an error and the usage line).
func parse(args []string) (*options, int) {
	o := &options{}
	fs := flag.NewFlagSet("mrcluster", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.workers, "workers", 3, "")
	fs.StringVar(&o.app, "app", "wc", "")
	fs.IntVar(&o.nreduce, "nreduce", 10, "")
	fs.BoolVar(&o.secret, "secret", false, "")
	fs.StringVar(&o.secretFile, "secret-file", "", "")
	fs.StringVar(&o.lingerText, "linger", "", "")
	fs.IntVar(&o.timeout, "timeout", 300, "")
	fs.BoolVar(&o.binary, "binary", false, "")
	fs.StringVar(&o.rate, "link-rate", "", "")
	fs.StringVar(&o.wdata, "worker-data", "none", "")
	fs.StringVar(&o.cdata, "coordinator-data", "all", "")
	fs.StringVar(&o.split, "split-size", "", "")
	fs.StringVar(&o.logDir, "keep-logs", "", "")
	fs.BoolVar(&o.keep, "keep", false, "")
	fs.BoolVar(&o.v, "v", false, "")
	// Flags and inputs may come in any order.
	for {
		if err := fs.Parse(args); err == flag.ErrHelp {
			fmt.Print(usage)
			return nil, 0
		} else if err != nil {
			return nil, report(usageError(err.Error()))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			o.inputs = append(o.inputs, args[1:]...)
			break
		}
		o.inputs = append(o.inputs, args[0])
		args = args[1:]
	}
	if err := o.check(); err != nil {
		return nil, report(err)
	}
	return o, -1
}

var splitRE = regexp.MustCompile(`^[1-9][0-9]*$`)

// check validates the flags, as cluster.sh did, and the inputs' names.
func (o *options) check() error {
	switch {
	case o.workers < 1 || o.workers > 99 || o.nreduce < 1 || o.timeout < 1:
		return usageError("-workers (1..99), -nreduce and -timeout must be positive numbers")
	case len(o.inputs) == 0:
		return usageError("no inputs: name the files (or folders of files) to process")
	case o.split != "" && !splitRE.MatchString(o.split):
		return usageError(fmt.Sprintf("-split-size %s: want a number of bytes", o.split))
	case o.wdata != "all" && o.wdata != "spread" && o.wdata != "none":
		return usageError(fmt.Sprintf("-worker-data %s: want all, spread or none", o.wdata))
	case o.cdata != "all" && o.cdata != "none":
		return usageError(fmt.Sprintf("-coordinator-data %s: want all or none", o.cdata))
	case o.cdata == "none" && o.wdata == "none":
		return usageError("-coordinator-data none needs workers that hold the data (-worker-data all or spread)")
	case o.rate != "" && !lan.RateRE.MatchString(o.rate):
		return usageError(fmt.Sprintf("-link-rate %s: want a rate as tc writes it (100mbit, 1gbit)", o.rate))
	case o.secret && o.secretFile != "":
		return usageError("-secret and -secret-file exclude each other")
	}
	if o.secretFile != "" && !readableFile(o.secretFile) {
		return usageError(fmt.Sprintf("-secret-file %s: not a readable file", o.secretFile))
	}
	if err := o.checkNames(); err != nil {
		return err
	}
	var ok bool
	if o.linger, ok = seconds(cmp.Or(o.lingerText, "0s")); !ok {
		return usageError(fmt.Sprintf("-linger %s: give it as 90s, 2m or 1h", o.lingerText))
	}
	if o.logDir != "" {
		if err := os.MkdirAll(o.logDir, 0o755); err != nil {
			return usageError(fmt.Sprintf("-keep-logs %s: cannot create it", o.logDir))
		}
		if entries, _ := os.ReadDir(o.logDir); len(entries) > 0 {
			return usageError(fmt.Sprintf("-keep-logs %s: not empty (its logs would be mixed with older ones)", o.logDir))
		}
		o.logDir, _ = filepath.Abs(o.logDir)
	}
	return nil
}

// checkNames names each input on host 0 (inputName) and refuses two of
// one name, or a name host 0 uses for itself.
func (o *options) checkNames() error {
	seen := map[string]bool{}
	for _, f := range o.inputs {
		name := inputName(f)
		if seen[name] {
			return usageError(fmt.Sprintf("two inputs are named %s on host 0 (an absolute path goes by its base name)", name))
		}
		switch first, _, _ := strings.Cut(name, "/"); {
		case first == "out" || first == "tmp":
			return usageError(fmt.Sprintf("input %s: host 0 keeps its own %s/ there; give it another path", f, first))
		case first == "job.secret" && (o.secret || o.secretFile != ""):
			return usageError(fmt.Sprintf("input %s: its name is the job secret's file name on host 0; rename it", f))
		}
		seen[name] = true
		o.names = append(o.names, name)
	}
	return nil
}

// prepare finds the binaries, has the coordinator check the inputs, and
// checks that this machine can build a LAN.
func (o *options) prepare() error {
	if err := o.findBin(); err != nil {
		return err
	}
	need := []string{"mrcoordinator", "mrworker", o.app + ".so"}
	if o.cdata == "none" {
		need = append(need, "mrmanifest")
	}
	for _, f := range need {
		if _, err := os.Stat(o.bin(f)); err != nil {
			return statusError{fmt.Sprintf("%s is missing: run scripts/build.sh", o.bin(f)), 2}
		}
	}
	if err := o.checkInputs(); err != nil {
		return err
	}
	if err := lan.Check(); err != nil {
		return statusError{"cannot run here: " + err.Error(), 3}
	}
	if _, err := exec.LookPath("tc"); o.rate != "" && err != nil {
		return statusError{"cannot run here: -link-rate needs tc (install iproute2)", 3}
	}
	return nil
}

// checkInputs runs mrcoordinator -check on the inputs and prints its
// lines as its own (skipped folder entries, refusals); it lists the
// inputs' files and host 0's copies.
func (o *options) checkInputs() error {
	args := []string{"-check"}
	if o.binary {
		args = append(args, "-binary")
	}
	out, err := exec.Command(o.bin("mrcoordinator"), append(append(args, "--"), o.inputs...)...).CombinedOutput()
	if text := strings.TrimRight(string(out), "\n"); text != "" {
		for _, line := range strings.Split(text, "\n") {
			fmt.Fprintln(os.Stderr, "mrcluster: "+strings.TrimPrefix(line, "mrcoordinator: "))
		}
	}
	if err != nil {
		return statusError{"", 2}
	}
	var renamed []string
	o.copies = map[string]string{}
	for i, f := range o.inputs {
		if name := o.names[i]; f != name && f != name+"/" {
			renamed = append(renamed, name)
		}
		files, _, err := input.Expand([]string{f})
		if err != nil {
			return err
		}
		o.files = append(o.files, files...)
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			for _, e := range files {
				o.copies[o.names[i]+"/"+filepath.Base(e)] = abs(e)
			}
		} else {
			o.copies[o.names[i]] = abs(f)
		}
	}
	if len(renamed) > 0 {
		fmt.Fprintf(os.Stderr, "mrcluster: %d input(s) given by an absolute path go to the coordinator by their base names (%s...): "+
			"Map sees those names; a relative path keeps its own\n", len(renamed), renamed[0])
	}
	return nil
}

// readableFile reports whether name is a regular file this process can read.
func readableFile(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

func abs(f string) string {
	a, err := filepath.Abs(f)
	if err != nil {
		return f
	}
	return a
}

// findBin sets binDir: $LAN_BIN, else mrcluster's own directory.
func (o *options) findBin() error {
	if o.binDir = os.Getenv("LAN_BIN"); o.binDir != "" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o.binDir = filepath.Dir(exe)
	return nil
}

// bin is a binary or plugin of the build.
func (o *options) bin(name string) string { return filepath.Join(o.binDir, name) }

// vflag is -v for the processes when asked.
func (o *options) vflag() []string {
	if o.v {
		return []string{"-v"}
	}
	return nil
}

// inputName is the name the coordinator on host 0 gets for an input, the
// one Map sees: the input itself when it is a relative path that stays
// below the current directory (in/a.txt, as mrsequential is given it
// here), else its base name.
func inputName(f string) string {
	g := strings.TrimSuffix(f, "/")
	if g == "" || strings.HasPrefix(g, "/") || strings.Contains("/"+g+"/", "/../") {
		return filepath.Base(f)
	}
	return g
}

var durationRE = regexp.MustCompile(`^([0-9]+[hms])+$`)

// seconds is a duration as mrcoordinator's -linger takes it (90s, 2m,
// 1h30m; whole units) in whole seconds; ok is false if it is not one.
func seconds(d string) (int, bool) {
	if !durationRE.MatchString(d) {
		return 0, false
	}
	n := 0
	for _, m := range regexp.MustCompile(`([0-9]+)([hms])`).FindAllStringSubmatch(d, -1) {
		v, _ := strconv.Atoi(m[1])
		n += v * map[string]int{"h": 3600, "m": 60, "s": 1}[m[2]]
	}
	return n, true
}
