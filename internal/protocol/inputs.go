// Inputs where they live, on the wire: a worker started with a data directory says
// which of the job's inputs it holds (Hold), a map assignment says where
// each piece of its input can be read and how to check it (InputSource),
// and a worker serves the inputs it holds to its peers (GET /input).

package protocol

import (
	"net/url"
	"strconv"
)

// PathInput is where a worker serves the inputs it holds:
//
//	GET /input?name=NAME&off=O&len=N   bytes [O, O+N) of the job's input NAME (whole
//	                                   blocks, which the reader checks); with a secret,
//	                                   signed as POST /runs is (wire.SignBody over an
//	                                   empty body)
//
// NAME is looked up among the inputs the coordinator accepted that this
// worker holds (HoldReply); it never reaches the file system as a path.
const PathInput = "/input"

// InputURL is where bytes [off, off+n) of input name are read from the
// worker at holder.
func InputURL(holder, name string, off, n int64) string {
	return "http://" + holder + PathInput + "?" + url.Values{"name": {name}, "off": {strconv.FormatInt(off, 10)},
		"len": {strconv.FormatInt(n, 10)}}.Encode()
}

// ParseInputQuery reads GET /input's query: the input's name and the
// bytes asked for.
func ParseInputQuery(q url.Values) (name string, off, n int64, ok bool) {
	off, err1 := strconv.ParseInt(q.Get("off"), 10, 64)
	n, err2 := strconv.ParseInt(q.Get("len"), 10, 64)
	name = q.Get("name")
	return name, off, n, err1 == nil && err2 == nil && off >= 0 && n > 0 && name != "" && len(name) <= 255
}

// MaxHoldBatch bounds the files one Hold call lists: a data directory of
// more files is announced in several calls, so each stays well under
// wire.MaxRequest.
const MaxHoldBatch = 2048

// HoldArgs lists files of a worker's data directory, by name and size.
// The coordinator answers which are inputs of the job (same name, same
// size); with Commit it also records them as held by this worker, which
// then names it to peers as their source. A worker asks first, and
// commits the inputs only once it serves them, so that no peer is sent
// to it before. First starts the list again (the first batch, or a list
// sent again after a copy was found to differ).
type HoldArgs struct {
	WorkerID string
	First    bool
	Commit   bool
	Files    []HeldFile
	// Differs names the input whose copy this worker just found to differ
	// from the job's checksums (it holds it no more): the job records it.
	Differs string
}

// HeldFile is one file of a worker's data directory.
type HeldFile struct {
	Name string
	Size int64
}

// HoldReply lists the names of HoldArgs that are inputs of the job: the
// worker serves those, and only those, to its peers.
type HoldReply struct {
	Held []string
}

// InputSource tells a map attempt where one piece of its input can be
// read and how to check it: the input's name in the job's manifest (what
// a data directory holds it as), its whole size, the CRC-32C of every
// block covering the piece (blocks of GetTaskReply.BlockSize bytes,
// from the one holding the piece's first byte), the run-file servers of
// live workers holding it, and whether the coordinator serves it.
type InputSource struct {
	Name        string
	Size        int64
	Sums        []uint32
	Holders     []string
	Coordinator bool
}

// SplitPieceQuery asks GET /split for pieces [piece, piece+count) of the
// attempt's input only, from skip bytes into the first: what a worker
// did not read from its own copy or from a peer.
func SplitPieceQuery(piece int, skip int64, count int) string {
	return "&" + url.Values{"piece": {strconv.Itoa(piece)}, "skip": {strconv.FormatInt(skip, 10)},
		"count": {strconv.Itoa(count)}}.Encode()
}
