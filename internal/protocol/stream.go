// A streaming job's wire form: the commands that are its
// Map, Combine and Reduce (Hadoop Streaming's contract), and the files
// shipped with them.

package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Stream is a streaming job's app: shell commands run with sh -c, and the
// files (-file) its coordinator ships, which the commands find in their
// working directory. Reducer is "" for a map-only job.
type Stream struct {
	Mapper   string       `json:"mapper"`
	Reducer  string       `json:"reducer,omitempty"`
	Combiner string       `json:"combiner,omitempty"`
	Files    []StreamFile `json:"files,omitempty"`
}

// StreamFile is one shipped file: its base name, the SHA-256 of its
// bytes (hex) and its size.
type StreamFile struct {
	Name string `json:"name"`
	Sum  string `json:"sha256"`
	Size int64  `json:"size"`
}

// Bounds of a streaming job: a command's length, the shipped files, and
// their bytes in all.
const (
	maxCommand     = 16 << 10
	maxStreamFiles = 64
	MaxStreamBytes = 1 << 30
)

// Build is a streaming job's build, as a plugin's SHA-256 is a plugin
// job's: the SHA-256 of its commands and its files' sums, hex.
func (s *Stream) Build() string {
	h := sha256.New()
	for _, c := range []string{s.Mapper, s.Reducer, s.Combiner} {
		h.Write([]byte(strconv.Itoa(len(c)) + ":" + c))
	}
	for _, f := range s.Files {
		h.Write([]byte(f.Name + "\x00" + f.Sum + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Check accepts a streaming job within its bounds, with file names that
// can name a file safely in a directory (a peer's names are checked
// before a file is made of them).
func (s *Stream) Check() error {
	if s.Mapper == "" {
		return fmt.Errorf("mr: a streaming job needs a mapper command")
	}
	for _, c := range []string{s.Mapper, s.Reducer, s.Combiner} {
		if len(c) > maxCommand || strings.IndexByte(c, 0) >= 0 {
			return fmt.Errorf("mr: a streaming command is at most %d bytes, without NUL", maxCommand)
		}
	}
	if len(s.Files) > maxStreamFiles {
		return fmt.Errorf("mr: %d shipped files exceed the limit of %d", len(s.Files), maxStreamFiles)
	}
	var total int64
	seen := make(map[string]bool)
	for _, f := range s.Files {
		if err := CheckFileName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("mr: two shipped files are named %q: a command finds them by name", f.Name)
		}
		seen[f.Name] = true
		if len(f.Sum) != 64 || strings.Trim(f.Sum, "0123456789abcdef") != "" {
			return fmt.Errorf("mr: shipped file %q: bad SHA-256 %q", f.Name, Truncate(f.Sum, 80))
		}
		if f.Size < 0 || f.Size > MaxStreamBytes-total {
			return fmt.Errorf("mr: shipped files of more than %d bytes in all", MaxStreamBytes)
		}
		total += f.Size
	}
	return nil
}

// CheckFileName accepts the name of a shipped file: a base name of 1 to
// 255 bytes, not "." or "..", without '/' or NUL.
func CheckFileName(name string) error {
	if name == "" || len(name) > 255 || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("mr: bad shipped file name %q: want a base name", Truncate(name, 80))
	}
	return nil
}
