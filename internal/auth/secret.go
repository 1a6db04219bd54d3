// Loading the job secret from a file or $MR_SECRET.

package auth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// LoadSecret returns the job secret: the contents of file (without a
// trailing newline) if file is not "", else $MR_SECRET, else nil (no
// secret). A secret file that cannot be read, or is empty, is an error
// naming the file.
func LoadSecret(file string) ([]byte, error) {
	if file == "" {
		if s := os.Getenv("MR_SECRET"); s != "" {
			return []byte(s), nil
		}
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("mr: secret file %s: %w", file, err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("mr: secret file %s is empty", file)
	}
	return b, nil
}
