// The journal's bytes: the header, a record's frame and CRC-32C trailer,
// and the scan that stops at the first torn or corrupt record.

package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	// MaxPayload is the largest payload a record may carry. Append refuses
	// larger ones, and a reader takes a larger length for corruption, so a
	// damaged length never makes it trust (or allocate for) gigabytes.
	MaxPayload = 1 << 20

	magic      = "MRJL"
	version    = 1
	headerLen  = 8     // magic (4 bytes), then the version as uint32 LE
	frameLen   = 4 + 1 // length as uint32 LE, then the kind
	trailerLen = 4     // CRC-32C as uint32 LE
	overhead   = frameLen + trailerLen
)

// ErrFormat matches the error Open returns for a file that is not a
// journal of this format: too short for a header, another magic, or
// another version. Such a file is left as it was. Test with errors.Is.
var ErrFormat = errors.New("journal: not a journal of a known format")

// table is the CRC-32C (Castagnoli) table of record checksums.
var table = crc32.MakeTable(crc32.Castagnoli)

// Entry is one record read back from a journal: the caller's record kind
// and its payload.
type Entry struct {
	Kind    byte
	Payload []byte
}

// header returns the bytes every journal file starts with.
func header() []byte {
	return binary.LittleEndian.AppendUint32([]byte(magic), version)
}

// checkHeader returns why data does not start with a journal header of
// this version, or "" if it does.
func checkHeader(data []byte) string {
	switch {
	case len(data) < headerLen:
		return fmt.Sprintf("%d bytes, shorter than the %d-byte header", len(data), headerLen)
	case string(data[:len(magic)]) != magic:
		return fmt.Sprintf("magic %q, want %q", data[:len(magic)], magic)
	}
	if v := binary.LittleEndian.Uint32(data[len(magic):]); v != version {
		return fmt.Sprintf("format version %d, this program reads version %d", v, version)
	}
	return ""
}

// formatError is Open's error for a file that is not a journal of this
// format; it matches ErrFormat.
type formatError struct {
	path, reason string
}

func (e *formatError) Error() string {
	return "journal: " + e.path + " is not a journal of a known format: " + e.reason
}

func (e *formatError) Is(target error) bool { return target == ErrFormat }

// frame returns a record's bytes before its payload (length and kind)
// and its checksum, which covers both and the payload.
func frame(kind byte, payload []byte) (head [frameLen]byte, sum [trailerLen]byte) {
	binary.LittleEndian.PutUint32(head[:], uint32(len(payload)))
	head[4] = kind
	crc := crc32.Update(crc32.Checksum(head[:], table), table, payload)
	binary.LittleEndian.PutUint32(sum[:], crc)
	return head, sum
}

// appendRecord appends the encoded record to dst.
func appendRecord(dst []byte, kind byte, payload []byte) []byte {
	head, sum := frame(kind, payload)
	dst = append(dst, head[:]...)
	dst = append(dst, payload...)
	return append(dst, sum[:]...)
}

// scan decodes the records of data, the bytes after the header, up to
// the first one that is torn or corrupt. It returns the entries, the
// length of the valid prefix of data they fill, and why it stopped
// before the end of data ("" if it did not). Payloads alias data.
func scan(data []byte) (entries []Entry, valid int, reason string) {
	for valid < len(data) {
		e, n, reason := decode(data[valid:])
		if reason != "" {
			return entries, valid, reason
		}
		entries = append(entries, e)
		valid += n
	}
	return entries, valid, ""
}

// decode decodes the record at the start of b and returns it and its
// encoded length, or why b does not start with a whole, valid record.
func decode(b []byte) (e Entry, n int, reason string) {
	if len(b) < frameLen {
		return e, 0, fmt.Sprintf("torn record: %d bytes, shorter than a record's frame", len(b))
	}
	size := binary.LittleEndian.Uint32(b)
	if size > MaxPayload {
		return e, 0, fmt.Sprintf("record length %d is over the limit of %d", size, MaxPayload)
	}
	n = frameLen + int(size) + trailerLen
	if len(b) < n {
		return e, 0, fmt.Sprintf("torn record: %d of its %d bytes", len(b), n)
	}
	end := frameLen + int(size)
	want := binary.LittleEndian.Uint32(b[end:])
	if got := crc32.Checksum(b[:end], table); got != want {
		return e, 0, fmt.Sprintf("record checksum %08x, computed %08x", want, got)
	}
	return Entry{Kind: b[4], Payload: b[frameLen:end:end]}, n, ""
}
