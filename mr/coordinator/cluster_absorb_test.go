// cluster_absorb_test.go: map tasks that absorb the next ones (one
// output per worker's run of tasks, scheduler/absorb.go) keep each key's
// values in the order of the inputs, write the sequential output, say in
// the summary which task mapped which, and survive the loss of an output
// that holds several tasks.

package coordinator_test

import (
	"slices"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
	"mapreduce/mr/coordinator"
	"mapreduce/mr/worker"
)

// linesApp sends each line's words to Reduce with the line itself as the
// value, and joins a word's lines in the order they come: an output that
// depends on the order of the values (the inputs' order), and values
// that point into the split until the map output copies them.
func linesApp() *mr.App {
	app := WordCount()
	app.Name = "lines"
	app.Map = func(_, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for _, line := range strings.SplitAfter(contents, "\n") {
			for _, w := range strings.Fields(line) {
				kvs = append(kvs, mr.KeyValue{Key: strings.Trim(w, ",."), Value: strings.TrimSpace(line)})
			}
		}
		return kvs
	}
	app.Reduce = func(_ string, vs []string) string { return strings.Join(vs, "|") }
	return app
}

// absorbConfig is a job whose inputs are cut into map tasks of about a
// kilobyte, so that each may absorb the next ones (up to 4 KB of input).
func absorbConfig(t *testing.T) coordinator.Config {
	cfg := Config(t.TempDir())
	cfg.SplitSize = 1024
	return cfg
}

// absorbed lists the map tasks the summary says were absorbed, by the
// task that absorbed them.
func absorbed(sum protocol.Summary) map[string][]string {
	by := map[string][]string{}
	for _, ts := range sum.Tasks {
		if ts.AbsorbedBy != "" {
			if len(ts.Attempts) != 0 || ts.Winner != "" {
				return nil
			}
			by[ts.AbsorbedBy] = append(by[ts.AbsorbedBy], ts.Task)
		}
	}
	return by
}

func TestAbsorbingJobKeepsTheInputsOrder(t *testing.T) {
	inputs := Inputs(t, 5)
	for _, combine := range []bool{false, true} {
		cfg := absorbConfig(t)
		app := linesApp()
		if combine {
			app.Combine = func(k string, vs []string) []string { return []string{app.Reduce(k, vs)} }
		}
		cl := Start(t, cfg, inputs, app, 2)
		if err := cl.Wait(); err != nil {
			t.Fatal(err)
		}
		cl.CheckOutput(inputs)
		sum := cl.SummaryFile()
		by := absorbed(sum)
		if by == nil || len(by) == 0 {
			t.Fatalf("combine %v: of %d map tasks, none absorbed another (or an absorbed one ran)", combine, sum.Maps)
		}
		if sum.MapAttempts >= sum.Maps {
			t.Fatalf("combine %v: %d map attempts for %d map tasks, %d of which absorbed others", combine, sum.MapAttempts, sum.Maps, len(by))
		}
	}
}

// Killing the worker that holds an output of several tasks once every
// reducer waits: the task and the tasks it absorbed are mapped again,
// together, by the other worker, and the output is the sequential one.
func TestAbsorbedOutputLostIsMappedAgainWhole(t *testing.T) {
	cfg, inputs := absorbConfig(t), Inputs(t, 5)
	app := linesApp()
	gate := make(chan struct{})
	reduce := app.Reduce
	app.Reduce = func(k string, vs []string) string {
		<-gate
		return reduce(k, vs)
	}
	cl := Start(t, cfg, inputs, app, 2)
	var victim string
	var holder string // the task whose output holds others
	cl.WaitFor("the reduce phase, an output holding several tasks", func(sum protocol.Summary) bool {
		if sum.Phase != "reduce" {
			return false
		}
		for task := range absorbed(sum) {
			if w := Task(t, sum, task); w.Winner != "" {
				holder = task
				for _, a := range w.Attempts {
					if a.ID == w.Winner {
						victim = a.Worker
					}
				}
				return true
			}
		}
		return false
	})
	i := slices.IndexFunc(cl.Workers, func(w *worker.Worker) bool { return w.ID() == victim })
	cl.KillAndFinish(i, victim, gate, inputs)
	sum := cl.C.Summary()
	task := Task(t, sum, holder)
	if task.Winner == "" || len(task.Attempts) < 2 || strings.HasPrefix(task.Winner, holder+".a1") {
		t.Fatalf("%s, whose output %s held, won by %q after %d attempts: want a second one", holder, victim, task.Winner, len(task.Attempts))
	}
	for task, parts := range absorbed(sum) {
		if Task(t, sum, task).Winner == "" {
			t.Fatalf("%s, which absorbed %v, is not done", task, parts)
		}
	}
}
