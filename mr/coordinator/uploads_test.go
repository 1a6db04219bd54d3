// Tests of the room kept for reduce outputs held in memory.

package coordinator

import "testing"

// Large uploads reserve room before they are received in memory: kept
// and reserved bytes together never pass maxKeptRuns, and a reserved
// upload, once received, is kept within it.
func TestUploadsReserveRoomToKeep(t *testing.T) {
	u := newUploads()
	half := int64(maxKeptRuns / 2)
	if !u.reserve(half) || !u.reserve(half) {
		t.Fatal("two halves of the room refused")
	}
	if u.reserve(1) {
		t.Fatal("a byte reserved past the room")
	}
	if !u.keep(0, make([]byte, half)) {
		t.Fatal("a reserved upload was not kept")
	}
	u.release(half)
	if u.reserve(half + 1) {
		t.Fatal("reserved past the room left by a kept run and a reservation")
	}
	u.release(half)
	if !u.reserve(half) || u.reserve(1) {
		t.Fatal("the room a kept run leaves is not the rest")
	}
	if data, ok := u.keptRun(0); !ok || int64(len(data)) != half {
		t.Fatal("the kept run is not there")
	}
}
