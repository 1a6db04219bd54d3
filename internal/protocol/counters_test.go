// Tests of counters: the header round trip, their bounds, adding them up,
// and the status token.

package protocol

import (
	"strings"
	"testing"
)

func TestCountersHeaderRoundTrip(t *testing.T) {
	c := Counters{MapInputBytes: 10, ReduceOutputRecords: 3, User: map[string]int64{"bad lines": 2, "é": -1}}
	h, dropped := EncodeCounters(&c)
	if dropped != 0 || len(h) > MaxCountersHeader {
		t.Fatalf("header of %d bytes, %d dropped", len(h), dropped)
	}
	got, err := ParseCounters(h)
	if err != nil {
		t.Fatal(err)
	}
	if got.MapInputBytes != 10 || got.ReduceOutputRecords != 3 || got.User["bad lines"] != 2 || got.User["é"] != -1 {
		t.Fatalf("got %+v", got)
	}
	if none, err := ParseCounters(""); err != nil || none.MapInputBytes != 0 || none.User != nil {
		t.Fatalf("empty header: %+v, %v", none, err)
	}
}

func TestCountersBounds(t *testing.T) {
	// Names that JSON escapes six-fold cannot make a header too long:
	// user counters are dropped, last names first, until it fits.
	c := Counters{User: map[string]int64{}}
	for i := 0; i < MaxUserCounters; i++ {
		c.User[string(rune('A'+i))+strings.Repeat("\x01", maxCounterName-1)] = 1
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	h, dropped := EncodeCounters(&c)
	if len(h) > MaxCountersHeader || dropped == 0 {
		t.Fatalf("header of %d bytes, %d dropped", len(h), dropped)
	}
	got, err := ParseCounters(h)
	if err != nil || len(got.User) != MaxUserCounters-dropped || got.User["A"+strings.Repeat("\x01", maxCounterName-1)] != 1 {
		t.Fatalf("kept %d user counters (err %v)", len(got.User), err)
	}
	if len(c.User) != MaxUserCounters {
		t.Fatal("EncodeCounters changed its argument")
	}
	bad := []string{
		`{"map_input_bytes":-1}`,
		`{"user":{"":1}}`,
		`{"user":{"` + strings.Repeat("x", maxCounterName+1) + `":1}}`,
		`{"user":{"\xff":1}}`,
		`{"user":`,
		`{"user":{` + strings.Repeat(`"x":1,`, 2000) + `"y":1}}`,
	}
	for _, s := range bad {
		if _, err := ParseCounters(s); err == nil {
			t.Errorf("ParseCounters(%.40q) accepted", s)
		}
	}
	many := Counters{User: map[string]int64{}}
	for i := 0; i <= MaxUserCounters; i++ {
		many.User[strings.Repeat("n", i+1)] = 1
	}
	if many.Check() == nil {
		t.Errorf("%d user counters accepted", len(many.User))
	}
}

func TestCountersAdd(t *testing.T) {
	var sum Counters
	sum.Add(&Counters{MapInputRecords: 2, User: map[string]int64{"a": 1}})
	sum.Add(&Counters{MapInputRecords: 3, ShuffledBytes: 7, LocalMaps: 1, PeerBytes: 9, User: map[string]int64{"a": 2, "b": 5}})
	sum.Add(&Counters{LocalMaps: 2, PeerBytes: 1, CoordinatorBytes: 4})
	if sum.MapInputRecords != 5 || sum.ShuffledBytes != 7 || sum.User["a"] != 3 || sum.User["b"] != 5 ||
		sum.LocalMaps != 3 || sum.PeerBytes != 10 || sum.CoordinatorBytes != 4 {
		t.Fatalf("sum = %+v", sum)
	}
	if n := len(sum.Engine()); n != 16 {
		t.Fatalf("Engine lists %d counters", n)
	}
}

func TestStatusToken(t *testing.T) {
	// An independent computation: python3 -c 'import hmac, hashlib;
	// print(hmac.new(b"sesame", b"mapreduce status read-only v2\x00job1", hashlib.sha256).hexdigest())'
	const want = "1cd7cdbc7df1827de42b6ac5a0cac72495f29f318ebf010f8c7267a9c9606156"
	if got := StatusToken([]byte("sesame"), "job1"); got != want {
		t.Fatalf("StatusToken = %s, want %s", got, want)
	}
	if StatusToken([]byte("sesame"), "job2") == want {
		t.Fatal("two jobs of one secret have the same token")
	}
}
