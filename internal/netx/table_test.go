// Tests of the admission table as scripts of opens, authentications and
// expiries, and under a flood.

package netx

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// op is one event on a table: "open NAME HOST" (HOST "own" is the
// listener's own host), "auth NAME", "close NAME", "expire SECONDS"
// (drop those accepted more than SECONDS before the op's time). at is the
// op's time in seconds after t0. want lists who is dropped, "NAME:why",
// with why one of host, cap, full, slow.
type op struct {
	at   int
	do   string
	want string
}

func runOps(t *testing.T, tab *table, ops []op) {
	t.Helper()
	entries := map[string]*entry{}
	short := map[string]string{whyHostCap: "host", whyCap: "cap", whyFull: "full", whyTooSlow: "slow"}
	for i, o := range ops {
		f := strings.Fields(o.do)
		now := t0.Add(time.Duration(o.at) * time.Second)
		var drops []dropped
		authOK := true
		switch f[0] {
		case "open":
			e := &entry{host: f[2], own: f[2] == "own", accepted: now}
			entries[f[1]] = e
			drops, _ = tab.admit(e)
		case "auth":
			authOK = tab.authenticate(entries[f[1]])
		case "close":
			tab.remove(entries[f[1]])
		case "expire":
			var s int
			fmt.Sscan(f[1], &s)
			drops = tab.expire(now.Add(-time.Duration(s) * time.Second))
		}
		var got []string
		for _, d := range drops {
			for name, e := range entries {
				if e == d.e {
					got = append(got, name+":"+short[d.why])
				}
			}
		}
		if !authOK {
			got = append(got, "auth refused")
		}
		slices.Sort(got)
		if g := strings.Join(got, " "); g != o.want {
			t.Fatalf("op %d %q at %ds: dropped %q, want %q", i, o.do, o.at, g, o.want)
		}
		if tab.open() > tab.max || tab.unauth.Len() > tab.max-tab.reserve {
			t.Fatalf("op %d: %d open, %d unauthenticated: over the caps", i, tab.open(), tab.unauth.Len())
		}
	}
}

func TestTable(t *testing.T) {
	tests := []struct {
		name                  string
		max, reserve, perHost int
		ops                   []op
	}{
		{"a host over its cap loses its own oldest", 10, 2, 2, []op{
			{0, "open a1 A", ""},
			{1, "open b1 B", ""},
			{2, "open a2 A", ""},
			{3, "open a3 A", "a1:host"},
			{4, "open b2 B", ""},
			{5, "open a4 A", "a2:host"},
		}},
		{"the own host is not held to the per-host cap", 10, 2, 1, []op{
			{0, "open o1 own", ""},
			{1, "open o2 own", ""},
			{2, "open o3 own", ""},
			{3, "open a1 A", ""},
			{4, "open a2 A", "a1:host"},
		}},
		{"a full cap drops the oldest unauthenticated, never the newcomer", 4, 1, 10, []op{
			{0, "open a A", ""},
			{1, "open b B", ""},
			{2, "open c C", ""},
			{3, "open d D", "a:cap"}, // 3 unauthenticated at most: one place is reserved
			{4, "auth b", ""},
			{5, "open e E", ""}, // b authenticated: 4 open, 3 unauthenticated
			{6, "open f F", "c:cap"},
		}},
		{"authenticated connections are never dropped", 3, 1, 10, []op{
			{0, "open a A", ""},
			{0, "auth a", ""},
			{1, "open b B", ""},
			{1, "auth b", ""},
			{2, "open c C", ""},
			{3, "open d D", "c:cap"},
			{3, "auth d", ""},
			{4, "open e E", "e:full"}, // every place is authenticated
			{5, "close a", ""},
			{6, "open f F", ""},
		}},
		{"a dropped connection cannot authenticate afterwards", 2, 1, 10, []op{
			{0, "open a A", ""},
			{1, "open b B", "a:cap"},
			{2, "auth a", "auth refused"},
			{3, "close a", ""},
			{3, "auth b", ""},
			{3, "close b", ""},
			{3, "close b", ""}, // twice is harmless
			{4, "open c C", ""},
			{4, "open d D", "c:cap"},
		}},
		{"the slow are dropped after the auth timeout", 10, 2, 10, []op{
			{0, "open a A", ""},
			{4, "open b B", ""},
			{5, "auth a", ""},
			{6, "open c C", ""},
			{11, "expire 10", ""},
			{15, "expire 10", "b:slow"},
			{16, "expire 10", ""},
			{17, "expire 10", "c:slow"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOps(t, newTable(tt.max, tt.reserve, tt.perHost), tt.ops) })
	}
}

// However many strangers arrive, in whatever order, the newest connection
// is admitted and the caps hold.
func TestTableFlood(t *testing.T) {
	tab := newTable(64, 16, 8)
	var honest []*entry
	for i := range 5000 {
		e := &entry{host: fmt.Sprintf("10.0.%d.%d", i%7, i%13), own: i%11 == 0, accepted: t0.Add(time.Duration(i) * time.Millisecond)}
		if _, ok := tab.admit(e); !ok {
			t.Fatalf("newcomer %d refused", i)
		}
		if i%100 == 0 { // an honest client authenticates right after connecting
			if !tab.authenticate(e) {
				t.Fatalf("newcomer %d dropped before it could authenticate", i)
			}
			honest = append(honest, e)
		}
		if tab.open() > 64 || tab.unauth.Len() > 48 {
			t.Fatalf("after %d: %d open, %d unauthenticated", i, tab.open(), tab.unauth.Len())
		}
	}
	for _, e := range honest {
		if e.gone {
			t.Fatal("an authenticated connection was dropped")
		}
	}
}
