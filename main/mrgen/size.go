// byteSize, the flag value for sizes written with a K, M or G suffix.

package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteSize is a flag.Value for a number of bytes written as a plain
// number or with a K, M or G suffix for powers of 1024 ("48K", "1G").
type byteSize int64

func (b *byteSize) String() string {
	if b == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// parseSize parses a byteSize.
func parseSize(s string) (int64, error) {
	shift := 0
	switch strings.ToUpper(s[len(s)-min(len(s), 1):]) {
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	}
	digits := s
	if shift > 0 {
		digits = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is not a size: want bytes, or a number with K, M or G", s)
	}
	return n << shift, nil
}
