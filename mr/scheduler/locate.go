// Locate: where a map task's output lives now, and what a reducer's word
// that it could not fetch it is worth. A committed map is re-run only on
// evidence:
//
//   - its owner is dead or excluded (kill and exclude re-run its maps);
//   - the owner has also missed heartbeats (silent for a quarter of the
//     heartbeat timeout): it is declared dead;
//   - the owner's own reducer could not read it (it reads its own outputs
//     from its disk), or the owner says it no longer holds it intact: the
//     map is re-run, the owner is told to drop the output, and counts one
//     lost output (maxLostOutputs exclude it);
//   - reducers on two hosts could not fetch it: the owner is asked
//     whether it still holds it (HeartbeatReply.Verify). If it says no,
//     as above; if it says yes, it is not charged: its server may be
//     saturated or under attack. Reducers fetch again, and only if they
//     still cannot for twice the heartbeat timeout is the map re-run
//     elsewhere, still without charging the owner.
//
// Evidence counts hosts, not registrations, and a worker that joined
// less than a heartbeat timeout ago and has won nothing yet counts for
// nothing: registering is free, and one host registered many times is
// one witness. One reducer's word against a live, heartbeating owner is
// not enough: it is told to fetch from the same source again (its fetch
// backs off), and the report is counted. A reducer that keeps failing
// alone (maxFetchReports reports over at least a heartbeat timeout) is
// the suspect when another worker has fetched that output since it was
// committed (a reduce of another worker than the owner committed since):
// its attempt fails as its worker's own failure, and the reduce task runs
// again, perhaps elsewhere, which gathers more evidence. When nobody has
// fetched it yet, the reducer's word is not weighed against anyone's: the
// owner is asked, as for two hosts. So a cluster whose workers share one
// host (one machine, or one NAT) still re-runs an output nobody can
// fetch rather than blaming every reducer in turn.

package scheduler

import (
	"fmt"
	"time"

	"mapreduce/internal/protocol"
)

// maxFetchReports is how many times a reducer alone may report the same
// output unreachable before its attempt is failed instead.
const maxFetchReports = 3

// fetchReports counts one host's reports that it could not fetch a
// committed map output.
type fetchReports struct {
	n       int
	first   time.Time
	witness bool // some report came from a worker that counts as a witness
}

// confirmation is where an owner's word on one of its outputs stands.
type confirmation uint8

const (
	unasked confirmation = iota
	asked                // in the owner's next heartbeat reply, or waiting for its answer
	held                 // the owner holds it intact
	missing              // the owner does not hold it (intact) any more
)

// Locate answers reduce attempt ref, which needs map task m's output.
// When failed names the committed attempt, the reducer could not fetch
// it (see fetchFailed). Reports naming an older attempt are answered,
// not believed.
func (s *Scheduler) Locate(ref protocol.Attempt, m, failed int, now time.Time) protocol.LocateReply {
	r := s.running(ref)
	if r == nil || ref.Kind != protocol.ReduceTask || m < 0 || m >= len(s.maps) {
		return protocol.LocateReply{Abort: true}
	}
	r.worker.lastSeen = now
	t := s.maps[m]
	if t.absorbedBy != nil { // its output is empty: nothing to fetch
		return protocol.LocateReply{Ready: true, Source: protocol.Location{Map: m, Absorbed: true}}
	}
	if t.state == taskDone && failed != 0 && t.winner.n == failed {
		if reply, answered := s.fetchFailed(t, r, now); answered {
			return reply
		}
	}
	if t.state == taskIdle && now.Sub(t.idleAt) > s.cfg.HeartbeatTimeout/2 {
		// Nobody else is free to re-run it: give up this attempt so that
		// its worker can. The reduce task runs again once the maps are done.
		s.note(AttemptGivesWay, r, r.worker, "waiting_for", protocol.TaskName(protocol.MapTask, t.index))
		s.endAttempt(r, outcomeAbandoned, now)
		return protocol.LocateReply{Abort: true}
	}
	if t.state != taskDone {
		return protocol.LocateReply{}
	}
	r.progress = now
	return protocol.LocateReply{Ready: true, Source: s.location(t)}
}

// fetchFailed weighs reduce attempt by's word that it could not fetch
// map task t's committed output. It answers the reducer itself (retry
// the same source, or abort), or acts on the evidence and leaves the
// answer to locate (wait for the re-run).
func (s *Scheduler) fetchFailed(t *task, by *attempt, now time.Time) (protocol.LocateReply, bool) {
	a, owner := t.winner, t.winner.worker
	rep := a.reportFetch(by.worker.host, s.witness(by.worker, now), now)
	v := s.weigh(a, by.worker, rep, now)
	s.note(FetchFailureReported, a, owner, "by", by.ID(), "reports", rep.n, "verdict", v.String())
	switch v {
	case ownerSilent:
		s.kill(owner, now, "unreachable and silent")
	case outputGone:
		s.outputLost(t, now)
	case unreachable:
		s.rerunMap(t, now)
		s.dropLater(owner, t.index)
	case askOwner:
		a.confirm, a.confirmAt = asked, now
		owner.verify = append(owner.verify, protocol.MapAttempt{Map: t.index, Attempt: a.n})
		return protocol.LocateReply{Ready: true, Source: s.location(t)}, true
	case reducerSuspect:
		s.fetchGivenUp(by, a, rep, now)
		return protocol.LocateReply{Abort: true}, true
	default:
		return protocol.LocateReply{Ready: true, Source: s.location(t)}, true
	}
	return protocol.LocateReply{}, false
}

// fetchVerdict is what a report of a failed fetch is taken to mean.
type fetchVerdict uint8

const (
	fetchAgain     fetchVerdict = iota // one reducer against a live owner, or the owner vouches: fetch again
	ownerSilent                        // the owner missed heartbeats too: it is dead
	outputGone                         // the owner's own reducer failed, or the owner says so: re-run, charged
	reducerSuspect                     // one reducer failing alone, for long: its own failure
	askOwner                           // reducers on two hosts failed: does the owner hold it?
	unreachable                        // the owner holds it, but nobody could fetch it for long: re-run, not charged
)

func (v fetchVerdict) String() string {
	return [...]string{"fetch again", "owner silent", "output lost", "reducer suspect", "ask the owner", "unreachable"}[v]
}

// weigh judges a report by reporter against committed map attempt a.
func (s *Scheduler) weigh(a *attempt, reporter *worker, rep *fetchReports, now time.Time) fetchVerdict {
	switch {
	case now.Sub(a.worker.lastSeen) > s.cfg.HeartbeatTimeout/4:
		return ownerSilent
	case reporter == a.worker || a.confirm == missing:
		return outputGone
	case a.witnessHosts() >= 2:
		return s.askedVerdict(a, now)
	case rep.n >= maxFetchReports && now.Sub(rep.first) >= s.cfg.HeartbeatTimeout:
		if s.fetchedSince(a, reporter) {
			return reducerSuspect
		}
		return s.askedVerdict(a, now)
	}
	return fetchAgain
}

// askedVerdict is the verdict once the evidence calls for the owner's
// word on a: ask it, or, long after it vouched (or never answered), give
// the output up as unreachable.
func (s *Scheduler) askedVerdict(a *attempt, now time.Time) fetchVerdict {
	switch {
	case a.confirm == unasked:
		return askOwner
	case now.Sub(a.confirmAt) >= 2*s.cfg.HeartbeatTimeout:
		return unreachable // it vouched long ago, or never answered
	}
	return fetchAgain
}

// fetchedSince reports whether a worker other than the reporter and the
// owner of map output a (which reads its own from disk) has committed a
// reduce since a was committed: it fetched a from the owner's server.
func (s *Scheduler) fetchedSince(a *attempt, reporter *worker) bool {
	for _, w := range s.workers {
		if w != reporter && w != a.worker && w.reduceWon.After(a.end) {
			return true
		}
	}
	return false
}

// witness reports whether w's word counts as evidence against an owner:
// it has won an attempt, or it joined at least a heartbeat timeout ago.
func (s *Scheduler) witness(w *worker, now time.Time) bool {
	return w.wins > 0 || now.Sub(w.joined) >= s.cfg.HeartbeatTimeout
}

// reportFetch counts a report from host against committed attempt a.
func (a *attempt) reportFetch(host string, witness bool, now time.Time) *fetchReports {
	if a.lostBy == nil {
		a.lostBy = make(map[string]*fetchReports)
	}
	rep := a.lostBy[host]
	if rep == nil {
		rep = &fetchReports{first: now}
		a.lostBy[host] = rep
	}
	rep.n++
	rep.witness = rep.witness || witness
	a.fetchErr++
	return rep
}

// witnessHosts counts the hosts whose reports against a count.
func (a *attempt) witnessHosts() int {
	n := 0
	for _, rep := range a.lostBy {
		if rep.witness {
			n++
		}
	}
	return n
}

// verified takes an owner's word on its outputs (HeartbeatArgs.Verified):
// one it no longer holds is lost, charged to it.
func (s *Scheduler) verified(w *worker, words []protocol.Verified, now time.Time) {
	for _, v := range words {
		t, ok := w.owned[v.Map]
		if !ok || t.winner == nil || t.winner.n != v.Attempt || t.winner.confirm != asked {
			continue
		}
		a := t.winner
		s.note(OwnerVerified, a, w, "held", v.Held)
		if v.Held {
			a.confirm, a.confirmAt = held, now
			continue
		}
		a.confirm = missing
		s.outputLost(t, now)
	}
}

// outputLost re-runs map task t on the evidence that its output cannot be
// had from its live owner, which drops it and counts it against itself.
func (s *Scheduler) outputLost(t *task, now time.Time) {
	a, owner := t.winner, t.winner.worker
	s.rerunMap(t, now)
	s.dropLater(owner, t.index)
	owner.lost++
	if owner.lost >= s.cfg.MaxLostOutputs {
		s.exclude(owner, fmt.Sprintf("reducers could not fetch %d of its map outputs, last %s", owner.lost, a.ID()), now)
	}
}

// fetchGivenUp fails reduce attempt by, alone in failing to fetch a: the
// failure counts against its worker, not the owner of a.
func (s *Scheduler) fetchGivenUp(by, a *attempt, rep *fetchReports, now time.Time) {
	why := fmt.Sprintf("could not fetch %s from %s %d times in %s, while %s heartbeats and no other worker failed to",
		a.ID(), a.worker.id, rep.n, now.Sub(rep.first).Round(time.Millisecond), a.worker.id)
	s.note(AttemptFailed, by, by.worker, "class", protocol.FailWorker.String(), "err", why)
	s.endAttempt(by, outcomeFailed, now)
	s.workerFailed(by.worker, why, now)
}

// rerunMap sends a done map task back to idle: its output is lost.
func (s *Scheduler) rerunMap(t *task, now time.Time) {
	w := t.winner.worker
	delete(w.owned, t.index)
	t.winner.outcome, t.winner.end = outcomeLost, now
	s.note(MapOutputLost, t.winner, w)
	t.winner, t.state = nil, taskIdle
	s.mapsDone--
	s.srcVersion++
	s.enqueue(t, now)
	if s.phase == phaseReduce {
		s.setPhase(phaseMap)
	}
}

// location tells a reducer where map task t's committed output is.
func (s *Scheduler) location(t *task) protocol.Location {
	return protocol.Location{Map: t.index, Attempt: t.winner.n, Addr: t.winner.worker.addr}
}

// Sources lists where every map task's committed output is, each owner
// once: built once per version and shared by every reducer that asks.
func (s *Scheduler) Sources() *protocol.SourcesReply {
	if c := s.srcCache; c != nil && c.Version == s.srcVersion {
		return c
	}
	reply := &protocol.SourcesReply{Version: s.srcVersion}
	maps := make([]protocol.MapSource, 0, len(s.maps))
	owners := make(map[*worker]int)
	for i, t := range s.maps {
		if t.absorbedBy != nil {
			reply.Absorbed = append(reply.Absorbed, i)
			maps = append(maps, protocol.MapSource{Map: i})
			continue
		}
		if t.state != taskDone { // being re-run: the reducer will Locate it
			maps = append(maps, protocol.MapSource{Map: i})
			continue
		}
		o, ok := owners[t.winner.worker]
		if !ok {
			o = len(reply.Owners)
			owners[t.winner.worker] = o
			reply.Owners = append(reply.Owners, t.winner.worker.addr)
		}
		maps = append(maps, protocol.MapSource{Map: i, Attempt: t.winner.n, Owner: o})
	}
	reply.Maps = protocol.PackSources(maps)
	s.srcCache = reply
	return reply
}
