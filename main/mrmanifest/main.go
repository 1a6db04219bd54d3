// Mrmanifest writes the manifest of a job's inputs: each input's name,
// size and, per block, its CRC-32C and first line start (see
// internal/manifest), so that a coordinator that does not hold the inputs
// can plan the job (mrcoordinator -manifest FILE) and every copy of an
// input can be checked block by block wherever it is read.
//
// Usage:
//
//	mrmanifest -o corpus.manifest [-block-size 1048576] FILES|DIRS...
//
// A folder stands for its regular files that are not hidden, in name
// order, as mrcoordinator takes them. Each input is named by its file name
// alone: the name a worker's -data directory holds it under; two inputs
// of one name are refused. Run it once on any machine that holds the
// data; it reads every input once.
//
// Exit status: 0 on success, 2 for bad flags, 1 if an input cannot be
// read or the manifest written; errors are one "mrmanifest: ..." line on
// standard error.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mapreduce/internal/atomicfile"
	"mapreduce/internal/manifest"
)

func main() {
	out := flag.String("o", "", "write the manifest to this `file` (required)")
	bs := flag.Int64("block-size", manifest.DefaultBlockSize, "checksum block size in `bytes`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mrmanifest -o corpus.manifest [-block-size N] FILES|DIRS...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *bs < manifest.MinBlockSize || *bs > manifest.MaxBlockSize {
		fmt.Fprintf(os.Stderr, "mrmanifest: -block-size %d: want %d to %d\n", *bs, manifest.MinBlockSize, manifest.MaxBlockSize)
		os.Exit(2)
	}
	if err := run(*out, *bs, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "mrmanifest: %v\n", err)
		os.Exit(1)
	}
}

// run describes the inputs args name and writes their manifest to out.
func run(out string, bs int64, args []string) error {
	files, err := expand(args)
	if err != nil {
		return err
	}
	m := &manifest.Manifest{BlockSize: bs}
	where := map[string]string{}
	for _, path := range files {
		name := filepath.Base(path)
		if err := manifest.CheckName(name); err != nil {
			return fmt.Errorf("input %s: %w", path, err)
		}
		if was, dup := where[name]; dup {
			return fmt.Errorf("inputs %s and %s share the name %s: a worker's -data directory could not hold both", was, path, name)
		}
		where[name] = path
		f, err := describe(path, name, bs)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
	}
	af, err := atomicfile.Create(out)
	if err != nil {
		return err
	}
	defer af.Abort()
	if err := m.Write(af); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return af.Commit()
}

// describe reads one input and describes it in blocks of bs.
func describe(path, name string, bs int64) (manifest.File, error) {
	in, err := os.Open(path)
	if err != nil {
		return manifest.File{}, err
	}
	defer in.Close()
	f, err := manifest.Scan(in, name, bs)
	if err != nil {
		return manifest.File{}, fmt.Errorf("input %s: %w", path, err)
	}
	return f, nil
}

// expand lists the files args name: files as given, a folder's regular
// files that are not hidden, in name order.
func expand(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("input %s: not a regular file", arg)
			}
			files = append(files, arg)
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, err
		}
		n := len(files)
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(arg, e.Name()))
			}
		}
		if len(files) == n {
			return nil, fmt.Errorf("input folder %s holds no regular file", arg)
		}
	}
	return files, nil
}
