// Sort records (-records N), as TeraSort's TeraGen writes them but as
// lines: 100 bytes each, a 10-byte key, a space, the record's number in
// 16 hex digits, a space, 71 bytes of filler, a newline. Keys are
// printable ASCII without spaces ('!' to '~'), pseudo-random and unique:
// record i's key is a bijection of i (seed mixed in) written in base 94.

package main

import (
	"bufio"
	"fmt"

	"mapreduce/internal/atomicfile"
)

// recordSize is the bytes of one sort record, newline included.
const recordSize = 100

// maxRecords bounds -records: 10 TB of records.
const maxRecords = 100_000_000_000

// appendRecord appends record i of the seed's set to b.
func appendRecord(b []byte, seed, i uint64) []byte {
	x := mix64(i ^ seed*0x9e3779b97f4a7c15)
	var key [10]byte
	for k := len(key) - 1; k >= 0; k-- {
		key[k] = byte('!' + x%94)
		x /= 94
	}
	b = append(b, key[:]...)
	b = fmt.Appendf(b, " %016x ", i)
	fill := byte('A' + i%26)
	for range recordSize - 10 - 18 - 1 {
		b = append(b, fill)
	}
	return append(b, '\n')
}

// mix64 is splitmix64's finalizer: a bijection of the 64-bit integers,
// so that distinct record numbers get distinct keys (94^10 > 2^64).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// recordFiles is how many files hold n records: -files if given, else
// files of about -size bytes.
func recordFiles(cfg config, filesSet bool) int {
	if filesSet {
		return cfg.files
	}
	per := max(cfg.size/recordSize, 1)
	return int(max((cfg.records+per-1)/per, 1))
}

// writeRecords writes cfg.records records over cfg.files files, record
// i into file i*files/records + 1, in parallel.
func writeRecords(cfg config) error {
	return eachFile(cfg.files, func(f int) error {
		lo, hi := cfg.records*int64(f-1)/int64(cfg.files), cfg.records*int64(f)/int64(cfg.files)
		return writeRecordFile(filePath(cfg, f), cfg.seed, lo, hi)
	})
}

// writeRecordFile writes records [lo, hi) to path, visible once complete.
func writeRecordFile(path string, seed uint64, lo, hi int64) error {
	f, err := atomicfile.CreateUnsynced(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	b := make([]byte, 0, recordSize)
	for i := lo; i < hi; i++ {
		b = appendRecord(b[:0], seed, uint64(i))
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
