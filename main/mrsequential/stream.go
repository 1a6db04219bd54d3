// mrsequential's streaming job: -mapper, -reducer,
// -combiner and -file, as mrcoordinator takes them.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"mapreduce/internal/input"
	"mapreduce/internal/protocol"
	"mapreduce/mr/executor"
)

// streamFlags are a streaming job's flags.
type streamFlags struct {
	protocol.Stream
	files map[string]string // -file paths by base name
}

// add defines the flags on fs.
func (s *streamFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&s.Mapper, "mapper", "", "a streaming job: the mapper, a `command` run with sh -c that reads lines and writes key<TAB>value lines")
	fs.StringVar(&s.Reducer, "reducer", "", "a streaming job: the reducer `command`, reading key<TAB>value lines sorted by key")
	fs.StringVar(&s.Combiner, "combiner", "", "a streaming job: the combiner `command` (accepted; the reference does not run it)")
	fs.Func("file", "a streaming job: a `file` the commands find in their working directory (repeatable)", func(path string) error {
		return addFile(&s.files, path)
	})
}

// addFile adds a -file path to files under its base name, refusing two
// of one name.
func addFile(files *map[string]string, path string) error {
	name := filepath.Base(path)
	if err := protocol.CheckFileName(name); err != nil {
		return err
	}
	if _, dup := (*files)[name]; dup {
		return fmt.Errorf("two -file files are named %s: the commands find them by name", name)
	}
	if *files == nil {
		*files = make(map[string]string)
	}
	(*files)[name] = path
	return nil
}

// check refuses a streaming job that lacks a command, or whose files are
// no regular files.
func (s *streamFlags) check(mapOnly bool) error {
	switch {
	case s.Mapper == "":
		return errors.New("-reducer, -combiner and -file make a streaming job, which needs -mapper CMD too")
	case s.Reducer == "NONE":
		return errors.New("-reducer NONE: a map-only job is -nreduce 0 here (and no -reducer)")
	case s.Reducer == "" && !mapOnly:
		return errors.New("a streaming job needs -reducer CMD (or -nreduce 0: a map-only job)")
	case s.Reducer != "" && mapOnly:
		return errors.New("-reducer with -nreduce 0: a map-only job runs no reducer")
	}
	for name, path := range s.files {
		st, err := os.Stat(path)
		if err == nil && !st.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		if err != nil {
			return fmt.Errorf("-file %s: %w", path, err)
		}
		s.Files = append(s.Files, protocol.StreamFile{Name: name, Sum: zeroSum, Size: st.Size()})
	}
	return s.Stream.Check()
}

// zeroSum stands for the SHA-256 of a file mrsequential does not ship.
const zeroSum = "0000000000000000000000000000000000000000000000000000000000000000"

// runStream runs a streaming job's reference; it returns the exit status.
func runStream(s *streamFlags, args []string, opt input.Options, ref executor.Reference, out string, stderr io.Writer) int {
	if err := s.check(ref.MapOnly); err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 2
	}
	inputs, notes, err := input.Expand(args)
	for _, n := range notes {
		fmt.Fprintf(stderr, "mrsequential: %s\n", n)
	}
	if err == nil {
		err = executor.SequentialStream(&s.Stream, s.files, inputs, opt, ref, out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mrsequential: %v\n", err)
		return 1
	}
	return 0
}
