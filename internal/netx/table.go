// The admission table: which connections are open, from which host, in
// which state; who is dropped when a cap is full. It does no I/O and
// reads no clock, so that its tests set times and never sleep.

package netx

import (
	"container/list"
	"time"
)

// Why a connection was dropped or refused, as Config.Refused reports it.
const (
	whyHostCap = "per-host cap: the host's oldest unauthenticated connection dropped"
	whyCap     = "connection cap: the oldest unauthenticated connection dropped"
	whyFull    = "connection cap: every connection is authenticated, newcomer refused"
	whyTooSlow = "not authenticated in time"
)

// entry is one connection as the table sees it.
type entry struct {
	host     string
	own      bool // from the listener's own host: not held to the per-host cap
	accepted time.Time
	auth     bool
	gone     bool          // no longer in the table: closed, dropped or refused
	all      *list.Element // in table.unauth while unauthenticated
	same     *list.Element // in table.byHost[host] while unauthenticated, unless own
	conn     *Conn         // the listener's connection; nil in the table's tests
}

// dropped is a connection the table let go of, and why.
type dropped struct {
	e   *entry
	why string
}

// table admits connections under three rules: at most max open; at most
// max-reserve of them unauthenticated, so that authenticated connections
// always have reserve places of their own; at most perHost unauthenticated
// from one host, except the listener's own. When a rule is hit, the
// oldest unauthenticated connection in its way is dropped and the
// newcomer admitted; a newcomer is refused only when every place is held
// by an authenticated connection.
type table struct {
	max, reserve, perHost int

	unauth *list.List            // unauthenticated entries, oldest first
	byHost map[string]*list.List // unauthenticated entries per host but the own host, oldest first
	nAuth  int
}

func newTable(max, reserve, perHost int) *table {
	return &table{max: max, reserve: reserve, perHost: perHost, unauth: list.New(), byHost: make(map[string]*list.List)}
}

// open is how many connections the table holds.
func (t *table) open() int { return t.unauth.Len() + t.nAuth }

// admit adds e, unauthenticated, dropping whom it must; ok is false if e
// was refused.
func (t *table) admit(e *entry) (drops []dropped, ok bool) {
	if hl := t.byHost[e.host]; !e.own && hl != nil && hl.Len() >= t.perHost {
		drops = append(drops, t.drop(hl.Front().Value.(*entry), whyHostCap))
	}
	if t.unauth.Len() >= t.max-t.reserve || t.open() >= t.max {
		if t.unauth.Len() == 0 {
			e.gone = true
			return append(drops, dropped{e, whyFull}), false
		}
		drops = append(drops, t.drop(t.unauth.Front().Value.(*entry), whyCap))
	}
	e.all = t.unauth.PushBack(e)
	if !e.own {
		hl := t.byHost[e.host]
		if hl == nil {
			hl = list.New()
			t.byHost[e.host] = hl
		}
		e.same = hl.PushBack(e)
	}
	return drops, true
}

// authenticate moves e to the authenticated, who are never dropped to
// make room; false if e is gone already.
func (t *table) authenticate(e *entry) bool {
	if e.gone {
		return false
	}
	if !e.auth {
		t.unlink(e)
		e.auth = true
		t.nAuth++
	}
	return true
}

// remove forgets e (it closed); removing it twice is harmless.
func (t *table) remove(e *entry) {
	if e.gone {
		return
	}
	if e.auth {
		t.nAuth--
	} else {
		t.unlink(e)
	}
	e.gone = true
}

// expire drops the unauthenticated connections accepted before oldest.
func (t *table) expire(oldest time.Time) []dropped {
	var drops []dropped
	for f := t.unauth.Front(); f != nil && f.Value.(*entry).accepted.Before(oldest); f = t.unauth.Front() {
		drops = append(drops, t.drop(f.Value.(*entry), whyTooSlow))
	}
	return drops
}

func (t *table) drop(e *entry, why string) dropped {
	t.remove(e)
	return dropped{e, why}
}

// unlink takes an unauthenticated e out of the lists.
func (t *table) unlink(e *entry) {
	t.unauth.Remove(e.all)
	if e.same != nil {
		hl := t.byHost[e.host]
		hl.Remove(e.same)
		if hl.Len() == 0 {
			delete(t.byHost, e.host)
		}
	}
	e.all, e.same = nil, nil
}
