// Tests of the line contract: keys and values holding newlines refused, ReduceEmit's lines.

package executor

import (
	"errors"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/input"
	"mapreduce/mr"
)

// sequential runs app over one input holding text and returns the output
// and the error.
func sequential(t *testing.T, app *mr.App, text string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err := Sequential(app, []string{in}, input.Options{Split: input.DefaultSplit, WholeFiles: true}, Reference{}, out)
	b, _ := os.ReadFile(out)
	return string(b), err
}

// wordsApp emits (word, word) per word and reduces with reduce.
func wordsApp(reduce mr.ReduceFunc) *mr.App {
	return &mr.App{Name: "words", Reduce: reduce, Map: func(_, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for _, w := range strings.Fields(contents) {
			kvs = append(kvs, mr.KeyValue{Key: w, Value: w})
		}
		return kvs
	}}
}

// A value or a key holding a newline is refused as the app's failure,
// naming the key, and no output file appears.
func TestBrokenLinesRefused(t *testing.T) {
	app := wordsApp(func(key string, _ []string) string {
		if key == "beta" {
			return "one\ntwo"
		}
		return "ok"
	})
	out, err := sequential(t, app, "alpha beta gamma\n")
	var ae *AppError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), `Reduce("beta") returned a value holding a newline`) || out != "" {
		t.Fatalf("error %v, output %q: want the app's failure naming beta, no output", err, out)
	}
	app.Map = func(string, string) []mr.KeyValue { return []mr.KeyValue{{Key: "a\nb", Value: "1"}} }
	if _, err := sequential(t, app, "x\n"); !errors.As(err, &ae) || !strings.Contains(err.Error(), `the key "a\nb" holds a newline`) {
		t.Fatalf("a key with a newline: %v", err)
	}
}

// ReduceEmit writes 0..n lines per key: none leaves the key out.
func TestReduceEmitFiltersAndRepeats(t *testing.T) {
	app := wordsApp(nil)
	app.ReduceEmit = func(key string, values iter.Seq[string], emit func(string)) {
		n := 0
		for range values {
			n++
		}
		for i := 1; i < n; i++ { // a word seen once is left out
			emit(strings.Repeat("+", i))
		}
	}
	out, err := sequential(t, app, "b a c a b a\n")
	if want := "a +\na ++\nb +\n"; err != nil || out != want {
		t.Fatalf("output %q, %v; want %q", out, err, want)
	}
}
