// Package journal is a durable, append-only log of records: the
// write-ahead log under a coordinator that must outlive its process. It
// imports nothing of the engine. A record is a kind byte, the caller's
// record type, and a payload of at most MaxPayload bytes that the caller
// encodes as it likes.
//
//	j, entries, err := journal.Open(filepath.Join(out, "mr-journal"))
//	if err != nil {
//		return err // not a journal, or no disk: do not run the job
//	}
//	if r := j.Repair(); r.Bytes > 0 {
//		slog.Warn("journal tail dropped", "offset", r.Offset, "bytes", r.Bytes, "reason", r.Reason)
//	}
//	for _, e := range entries {
//		apply(e.Kind, e.Payload)
//	}
//	...
//	if err := j.Append(kindMapDone, payload); err != nil {
//		return err // the journal is poisoned: stop the job
//	}
//	// only now answer the worker's report
//
// # Format
//
// A journal file is a header and then records, nothing else:
//
//	header:  "MRJL", then the format version (1) as uint32 little-endian
//	record:  length   uint32 LE, the payload's length, at most MaxPayload
//	         kind     1 byte, the caller's
//	         payload  length bytes
//	         crc      uint32 LE, the CRC-32C (Castagnoli) of length, kind
//	                  and payload
//
// # Recovery
//
// Open reads the records in order and stops at the first that is torn
// (the file ends inside it) or corrupt (a length over MaxPayload, or a
// checksum that does not match). That record and everything after it
// are dropped: Open truncates the file at the end of the last good
// record, fsyncs it, and appends follow from there; Repair says how many
// bytes went and why. This is what a crash calls for: a group of records
// is written with one write and none of them is acknowledged before the
// fsync, so a crash may leave any part of the last group on disk (a
// prefix, or a later page without an earlier one) but never leaves an
// acknowledged record after an unacknowledged one. A record damaged in
// the middle of the file (a bad sector) stops the replay the same way,
// and the records after it are dropped even if they are whole: a journal
// always replays as a prefix of what was appended, never with a hole. A
// caller whose records say "this work is done" loses, at worst, the
// knowledge that some work was done, and does it again.
//
// A file that does not start with the header of this version is refused
// with an error wrapping ErrFormat, and left as it was.
//
// # Durability
//
// Open creates a missing journal, header included, as a temp file renamed
// into place, so a crash never leaves half a header; and it fsyncs the
// directory, so once Open returns the file's name is durable too.
// Append returns once its record is written and fsynced. Concurrent
// Appends share fsyncs: one writer goroutine takes every record queued
// while the previous fsync ran, writes them with one write, fsyncs once
// and wakes their callers.
//
// A failed write or fsync fails every record in its group and poisons
// the journal: every later call returns that error. An fsync is not
// retried, since after a failed fsync the kernel may have dropped the
// dirty pages and report success the next time; a coordinator that
// cannot journal must stop rather than run on without its journal.
//
// Nothing locks the file: the caller ensures that one process at a time
// opens a journal, through one Journal.
package journal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"mapreduce/internal/atomicfile"
)

// Repair is what Open dropped from the end of a journal: nothing (Bytes
// 0) after a clean close or a crash between groups of records.
type Repair struct {
	Offset int64  // where the dropped bytes began: the end of the last good record
	Bytes  int64  // how many bytes were dropped
	Reason string // why the first dropped record was refused; "" if none was
}

// Open opens the journal at path, creating it if it does not exist, and
// returns it with every whole, valid record it holds, in order. It drops
// a torn or corrupt tail as the package comment describes (Repair tells
// what went) so that appends follow the last good record. A file that is
// not a journal is an error wrapping ErrFormat, and is left unchanged.
// The payloads returned are the caller's: the Journal keeps none of them.
func Open(path string) (*Journal, []Entry, error) {
	return open(path, func(f *os.File) file { return f })
}

// open is Open with wrap around the file, for tests that count or fail
// its syncs.
func open(path string, wrap func(*os.File) file) (*Journal, []Entry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if err = create(path); err == nil {
			f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal: opening %s: %w", path, err)
	}
	entries, repair, err := recoverFile(f, path)
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return start(wrap(f), path, repair), entries, nil
}

// create makes a journal holding only its header at path, atomically.
func create(path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(header()); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// recoverFile reads the journal f whole, checks its header and returns
// its valid records; it truncates a torn or corrupt tail and fsyncs.
func recoverFile(f *os.File, path string) ([]Entry, Repair, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, Repair{}, fmt.Errorf("journal: reading %s: %w", path, err)
	}
	entries, repair, reason := replay(data)
	if reason != "" {
		return nil, Repair{}, &formatError{path, reason}
	}
	if repair.Bytes == 0 {
		return entries, repair, nil
	}
	if err := f.Truncate(repair.Offset); err != nil {
		return nil, Repair{}, fmt.Errorf("journal: dropping the tail of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, Repair{}, fmt.Errorf("journal: dropping the tail of %s: %w", path, err)
	}
	return entries, repair, nil
}

// replay decodes a whole journal file: its header, then its records up
// to the first torn or corrupt one, which the Repair describes. It fails
// only for a bad header, and then returns why.
func replay(data []byte) (entries []Entry, r Repair, badHeader string) {
	if reason := checkHeader(data); reason != "" {
		return nil, Repair{}, reason
	}
	entries, valid, reason := scan(data[headerLen:])
	end := int64(headerLen + valid)
	return entries, Repair{Offset: end, Bytes: int64(len(data)) - end, Reason: reason}, ""
}

// syncDir fsyncs the directory dir, making the names in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: syncing directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: syncing directory %s: %w", dir, err)
	}
	return nil
}
