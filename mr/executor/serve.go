// The child's side of Child: mrworker -executor app.so loads the plugin
// and serves the attempts its worker hands it, one at a time, on two
// pipes (file descriptors 3 and 4). The first message says whether the
// plugin loaded; then, per attempt, progress ticks while it runs and its
// result.

package executor

import (
	"encoding/gob"
	"errors"
	"io"
	"sync"
	"time"

	"mapreduce/mr"
)

// message is what the child sends back: once, first, Hello; then, per
// attempt, Progress ticks (a counter that grows as records are emitted or
// merged, and the input a map attempt is on) and its Result.
type message struct {
	Hello    *hello
	Progress int64
	Input    int
	Result   *Result
}

// hello says whether the app's plugin loaded, and if not, why.
type hello struct {
	App string // the app's name
	Err string // "" when it loaded
}

// progressEvery is how often the child reports progress.
const progressEvery = 100 * time.Millisecond

// ErrNotLoaded is ServeChild's error when the plugin did not load: it
// told its worker why, which says so; the process should exit non-zero
// without repeating it.
var ErrNotLoaded = errors.New("executor: the app's plugin did not load")

// ServeChild is the app's process: it loads the plugin at path, says so
// on out (or why it could not), then runs the attempts read from in,
// writing their progress and results to out, until in ends. mrworker
// -executor calls it; nothing else should.
func ServeChild(path string, in io.Reader, out io.Writer) error {
	app, err := mr.LoadPlugin(path)
	return serve(app, err, in, out)
}

// ServeApp is ServeChild for an app given as a Go value, which needs no
// loading: the app's process of a program that embeds its app as a Go
// value, and of tests.
func ServeApp(app *mr.App, in io.Reader, out io.Writer) error {
	return serve(app, nil, in, out)
}

// ServeStream is ServeChild for the app's process of a streaming job,
// which loads no plugin: its attempts run the job's commands.
func ServeStream(in io.Reader, out io.Writer) error {
	return serve(&mr.App{Name: "stream"}, nil, in, out)
}

// serve says whether the app loaded (err is why not), then runs the
// attempts read from in, one at a time, until in ends.
func serve(app *mr.App, err error, in io.Reader, out io.Writer) error {
	kept.Lock()
	kept.one = true // this process serves one worker
	kept.Unlock()
	enc := gob.NewEncoder(out)
	h := &hello{}
	if err != nil {
		h.Err = err.Error()
	} else {
		h.App = app.Name
	}
	if werr := enc.Encode(message{Hello: h}); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil {
		return ErrNotLoaded
	}
	dec := gob.NewDecoder(in)
	var mu sync.Mutex // guards enc: the ticker and the result share it
	send := func(m message) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(m)
	}
	for {
		var t Task
		if err := dec.Decode(&t); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var m meter
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(progressEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					send(message{Progress: m.bytes.Load(), Input: int(m.input.Load())})
				}
			}
		})
		res := runTask(app, &t, &m)
		close(stop)
		wg.Wait()
		if err := send(message{Result: &res}); err != nil {
			return err
		}
	}
}
