// The batched fetch of runs, POST /runs?reduce=Y on a worker's run-file
// server, or ?reduce=Y1,Y2,... (at most MaxReduceBatch) for a batch of
// reduce tasks. The body is RunsRequest's encoding: a uvarint count, then
// each map attempt as uvarints map, attempt. The answer streams, for each
// reduce task named in order, one frame per map attempt asked for, in
// order: uvarints map and attempt, a varint size (-1: this worker does
// not serve that attempt), then size bytes of the run.

package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// PathRuns is the run-file server's one endpoint.
const PathRuns = "/runs"

// maxRunsRequest bounds how many map attempts one request may ask for,
// and MaxRunsFrames how many frames (reduce tasks times map attempts)
// one answer may stream.
const (
	maxRunsRequest = 1 << 20
	MaxRunsFrames  = maxRunsRequest
)

// MaxRunsBody bounds a /runs request's body: maxRunsRequest map attempts
// of up to 16 bytes each. With a secret it is read only once its signed
// headers verified (SignBody, VerifyBodyHeaders), and only as much as
// they announce.
const MaxRunsBody = 16 << 20

// MapAttempt names one map attempt's output.
type MapAttempt struct{ Map, Attempt int }

// RunsURL is where reduce tasks rs (one, or a batch) ask owner for
// their runs.
func RunsURL(owner string, rs []int) string {
	b := []byte("http://" + owner + PathRuns + "?reduce=")
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(r), 10)
	}
	return string(b)
}

// ParseRunsQuery reads the reduce tasks of a /runs request: one to
// MaxReduceBatch indexes.
func ParseRunsQuery(q url.Values) ([]int, error) {
	s := q.Get("reduce")
	if n := strings.Count(s, ",") + 1; n > MaxReduceBatch {
		return nil, fmt.Errorf("%d reduce tasks, at most %d", n, MaxReduceBatch)
	}
	fields := strings.Split(s, ",")
	rs := make([]int, len(fields))
	for i, f := range fields {
		r, ok := parseIndex(f)
		if !ok {
			return nil, errors.New("want ?reduce=N[,N...]")
		}
		rs[i] = r
	}
	return rs, nil
}

// EncodeRunsRequest is the body asking for these map attempts.
func EncodeRunsRequest(maps []MapAttempt) []byte {
	b := binary.AppendUvarint(nil, uint64(len(maps)))
	for _, m := range maps {
		b = binary.AppendUvarint(b, uint64(m.Map))
		b = binary.AppendUvarint(b, uint64(m.Attempt))
	}
	return b
}

// DecodeRunsRequest reads a body of at most len(b) bytes, refusing counts
// and indexes out of bounds.
func DecodeRunsRequest(b []byte) ([]MapAttempt, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > maxRunsRequest || n > uint64(len(b)) {
		return nil, errors.New("bad runs request: count")
	}
	b = b[k:]
	maps := make([]MapAttempt, n)
	for i := range maps {
		m, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errors.New("bad runs request: map")
		}
		a, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || m > 1<<31 || a < 1 || a > 1<<31 {
			return nil, errors.New("bad runs request: attempt")
		}
		maps[i], b = MapAttempt{int(m), int(a)}, b[k1+k2:]
	}
	if len(b) != 0 {
		return nil, errors.New("bad runs request: trailing bytes")
	}
	return maps, nil
}

// AppendRunsFrame appends a frame's header: the map attempt and the size
// of the run that follows, -1 if it is not served.
func AppendRunsFrame(b []byte, m MapAttempt, size int64) []byte {
	b = binary.AppendUvarint(b, uint64(m.Map))
	b = binary.AppendUvarint(b, uint64(m.Attempt))
	return binary.AppendVarint(b, size)
}

// ReadRunsFrame reads a frame's header; the run's size bytes follow.
func ReadRunsFrame(r *bufio.Reader) (MapAttempt, int64, error) {
	m, err := binary.ReadUvarint(r)
	if err != nil {
		return MapAttempt{}, 0, err
	}
	a, err := binary.ReadUvarint(r)
	if err != nil {
		return MapAttempt{}, 0, fmt.Errorf("runs frame: %w", io.ErrUnexpectedEOF)
	}
	size, err := binary.ReadVarint(r)
	if err != nil {
		return MapAttempt{}, 0, fmt.Errorf("runs frame: %w", io.ErrUnexpectedEOF)
	}
	if m > 1<<31 || a > 1<<31 || size < -1 || size > 1<<40 {
		return MapAttempt{}, 0, errors.New("runs frame: out of bounds")
	}
	return MapAttempt{int(m), int(a)}, size, nil
}
