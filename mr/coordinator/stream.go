// stream.go is a streaming job's side of the coordinator: its commands
// (Config.Stream) and the files it ships with them (Config.StreamFiles),
// read once, kept by their SHA-256 and sent to pool workers as a plugin
// is (App), under the same rules.

package coordinator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"mapreduce/internal/protocol"
)

// checkStream refuses a streaming job's configuration that the engine
// does not run.
func checkStream(c Config) error {
	s := c.Stream
	switch {
	case s == nil:
		if len(c.StreamFiles) > 0 {
			return errors.New("mr: -file ships files with a streaming job's commands: give -mapper CMD too")
		}
		return nil
	case c.AppPlugin != "":
		return errors.New("mr: -mapper with -app path.so: a job's app is a plugin or commands, not both (give -app a name)")
	case c.TotalOrder:
		return errors.New("mr: -total-order is not supported for a streaming job: the coordinator samples the keys by calling a plugin's Map")
	case s.Mapper == "":
		return errors.New("mr: a streaming job needs -mapper CMD")
	case s.Reducer == "NONE":
		return errors.New("mr: -reducer NONE: a map-only job is -nreduce 0 here (and no -reducer)")
	case s.Reducer == "" && !c.MapOnly:
		return errors.New("mr: a streaming job needs -reducer CMD (or -nreduce 0: a map-only job)")
	case s.Reducer != "" && c.MapOnly:
		return errors.New("mr: -reducer with -nreduce 0: a map-only job runs no reducer")
	case s.Combiner != "" && c.MapOnly:
		return errors.New("mr: -combiner with -nreduce 0: a map-only job combines nothing")
	}
	return nil
}

// readStream describes a streaming job, reading the files it ships: nil
// for a plugin job. It returns the job and the files' bytes by SHA-256.
func readStream(c Config) (*protocol.Stream, map[string][]byte, error) {
	if c.Stream == nil {
		return nil, nil, nil
	}
	s := *c.Stream
	s.Files = nil
	shipped := make(map[string][]byte)
	var total int64
	for _, path := range c.StreamFiles {
		st, err := os.Stat(path)
		if err == nil && (!st.Mode().IsRegular() || st.Size() > protocol.MaxStreamBytes-total) {
			err = fmt.Errorf("not a regular file, or the shipped files pass %d bytes", protocol.MaxStreamBytes)
		}
		var b []byte
		if err == nil {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("mr: -file %s: %w", path, unwrapPath(err))
		}
		total += int64(len(b))
		sum := sha256.Sum256(b)
		f := protocol.StreamFile{Name: filepath.Base(path), Sum: hex.EncodeToString(sum[:]), Size: int64(len(b))}
		shipped[f.Sum] = b
		s.Files = append(s.Files, f)
	}
	if err := s.Check(); err != nil {
		return nil, nil, err
	}
	return &s, shipped, nil
}
