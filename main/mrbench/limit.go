package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
)

// limitCmd counts words (maximal runs of Unicode letters, as mrapps/wc)
// in all inputs with one goroutine per core and no framework at all, and
// writes "word count" lines sorted by word: what a hand-written word
// counter achieves, the yardstick for the engine.
func limitCmd(args []string) error {
	fs := flag.NewFlagSet("limit", flag.ExitOnError)
	out := fs.String("o", "", "output `file`")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("limit: want -o OUT inputs...")
	}
	chunks := make(chan []byte, runtime.GOMAXPROCS(0))
	counts := make([]map[string]int, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range counts {
		counts[i] = make(map[string]int)
		wg.Add(1)
		go func(m map[string]int) {
			defer wg.Done()
			for c := range chunks {
				countWords(c, m)
			}
		}(counts[i])
	}
	err := readChunks(fs.Args(), 8<<20, chunks)
	close(chunks)
	wg.Wait()
	if err != nil {
		return err
	}
	return writeCounts(*out, counts)
}

// readChunks sends the inputs in pieces of about size bytes, cut after a
// newline so no word is split.
func readChunks(paths []string, size int, chunks chan<- []byte) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		r := bufio.NewReaderSize(f, 1<<20)
		for {
			buf := make([]byte, size)
			n, err := readFull(r, buf)
			buf = buf[:n]
			if err == nil {
				rest, rerr := r.ReadBytes('\n')
				buf = append(buf, rest...)
				err = rerr
			}
			if len(buf) > 0 {
				chunks <- buf
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("limit: %w", err)
			}
		}
		f.Close()
	}
	return nil
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// countWords adds the words of b to m.
func countWords(b []byte, m map[string]int) {
	start := -1
	for i := 0; i < len(b); {
		c, size := rune(b[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRune(b[i:])
		}
		letter := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (c >= utf8.RuneSelf && unicode.IsLetter(c))
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			m[string(b[start:i])]++ // no allocation for an existing key
			start = -1
		}
		i += size
	}
	if start >= 0 {
		m[string(b[start:])]++
	}
}

func writeCounts(path string, counts []map[string]int) error {
	total := counts[0]
	for _, m := range counts[1:] {
		for k, v := range m {
			total[k] += v
		}
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(total[k]))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path+".tmp", b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("limit: %w", err)
	}
	return os.Rename(path+".tmp", path)
}
