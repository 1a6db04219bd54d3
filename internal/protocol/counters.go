// Counters: an attempt's counts, engine and user, their limits, and their
// form in the X-Mr-Counters header.

package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// Limits on an attempt's counters, so that a report stays small.
const (
	MaxUserCounters   = 32   // distinct user counter names per attempt
	maxCounterName    = 64   // bytes of one user counter name
	MaxCountersHeader = 4096 // bytes of the X-Mr-Counters header
)

// Counters are one attempt's counts (OSDI'04 §4.9): the engine's own, and
// the app's in User (mr.Counter). A map attempt sends them in
// ReportMapArgs, a reduce attempt as compact JSON in the X-Mr-Counters
// header of its upload. The coordinator adds up those of winning attempts
// only, so backups and re-runs never count twice.
type Counters struct {
	MapInputBytes       int64 `json:"map_input_bytes"`       // bytes of the splits read
	MapInputRecords     int64 `json:"map_input_records"`     // lines of the splits
	MapOutputRecords    int64 `json:"map_output_records"`    // records Map emitted
	CombinedAway        int64 `json:"combined_away"`         // records Combine merged away
	SpilledRecords      int64 `json:"spilled_records"`       // records written to spills before the final runs
	MapOutputBytes      int64 `json:"map_output_bytes"`      // bytes of the run files written
	ShuffledBytes       int64 `json:"shuffled_bytes"`        // bytes of run files fetched by reducers
	ReduceInputGroups   int64 `json:"reduce_input_groups"`   // distinct keys: Reduce calls
	ReduceInputRecords  int64 `json:"reduce_input_records"`  // values given to Reduce
	ReduceOutputRecords int64 `json:"reduce_output_records"` // records Reduce returned

	// Where map input came from (Hadoop's DATA_LOCAL_MAPS): map tasks
	// that read every byte from their worker's own copy, that read from
	// peers (and none from the coordinator), that read some from the
	// coordinator; and the bytes read from each.
	LocalMaps        int64 `json:"local_maps"`
	PeerMaps         int64 `json:"peer_maps"`
	CoordinatorMaps  int64 `json:"coordinator_maps"`
	LocalBytes       int64 `json:"local_bytes"`
	PeerBytes        int64 `json:"peer_bytes"`
	CoordinatorBytes int64 `json:"coordinator_bytes"`

	User map[string]int64 `json:"user,omitempty"` // the app's, by name
}

// Count is one engine counter: its JSON key, its name for people, its value.
type Count struct {
	Key, Name string
	Value     int64
}

// Engine lists the engine's counters in a fixed order.
func (c *Counters) Engine() []Count {
	return []Count{
		{"map_input_bytes", "map input bytes", c.MapInputBytes},
		{"map_input_records", "map input records", c.MapInputRecords},
		{"map_output_records", "records emitted", c.MapOutputRecords},
		{"combined_away", "combined away", c.CombinedAway},
		{"spilled_records", "records spilled", c.SpilledRecords},
		{"map_output_bytes", "map output bytes", c.MapOutputBytes},
		{"shuffled_bytes", "shuffled bytes", c.ShuffledBytes},
		{"reduce_input_groups", "reduce input groups", c.ReduceInputGroups},
		{"reduce_input_records", "reduce input records", c.ReduceInputRecords},
		{"reduce_output_records", "output records", c.ReduceOutputRecords},
		{"local_maps", "maps read locally", c.LocalMaps},
		{"peer_maps", "maps read from peers", c.PeerMaps},
		{"coordinator_maps", "maps read from the coordinator", c.CoordinatorMaps},
		{"local_bytes", "input bytes read locally", c.LocalBytes},
		{"peer_bytes", "input bytes from peers", c.PeerBytes},
		{"coordinator_bytes", "input bytes from the coordinator", c.CoordinatorBytes},
	}
}

// Add adds o's counts to c's.
func (c *Counters) Add(o *Counters) {
	c.MapInputBytes += o.MapInputBytes
	c.MapInputRecords += o.MapInputRecords
	c.MapOutputRecords += o.MapOutputRecords
	c.CombinedAway += o.CombinedAway
	c.SpilledRecords += o.SpilledRecords
	c.MapOutputBytes += o.MapOutputBytes
	c.ShuffledBytes += o.ShuffledBytes
	c.ReduceInputGroups += o.ReduceInputGroups
	c.ReduceInputRecords += o.ReduceInputRecords
	c.ReduceOutputRecords += o.ReduceOutputRecords
	c.LocalMaps += o.LocalMaps
	c.PeerMaps += o.PeerMaps
	c.CoordinatorMaps += o.CoordinatorMaps
	c.LocalBytes += o.LocalBytes
	c.PeerBytes += o.PeerBytes
	c.CoordinatorBytes += o.CoordinatorBytes
	for name, n := range o.User {
		if c.User == nil {
			c.User = make(map[string]int64, len(o.User))
		}
		c.User[name] += n
	}
}

// Check reports counters a peer should not have sent: a negative engine
// count, too many user counters, or a name too long or not UTF-8.
func (c *Counters) Check() error {
	for _, e := range c.Engine() {
		if e.Value < 0 {
			return fmt.Errorf("counter %s is negative", e.Key)
		}
	}
	if len(c.User) > MaxUserCounters {
		return fmt.Errorf("%d user counters, at most %d", len(c.User), MaxUserCounters)
	}
	for name := range c.User {
		if name == "" || len(name) > maxCounterName || !utf8.ValidString(name) {
			return fmt.Errorf("user counter name %q: want 1 to %d bytes of UTF-8", name, maxCounterName)
		}
	}
	return nil
}

// EncodeCounters is c as the X-Mr-Counters header's value: compact JSON
// of at most MaxCountersHeader bytes. Should c not fit (long names that
// JSON escapes), user counters are left out, last names first; dropped
// says how many.
func EncodeCounters(c *Counters) (header string, dropped int) {
	c2 := *c
	names := slices.Sorted(maps.Keys(c.User))
	for {
		b, _ := json.Marshal(&c2) // integers and a map of strings: cannot fail
		if len(b) <= MaxCountersHeader || len(names) == 0 {
			return string(b), dropped
		}
		if dropped == 0 {
			c2.User = maps.Clone(c.User)
		}
		delete(c2.User, names[len(names)-1])
		names = names[:len(names)-1]
		dropped++
	}
}

// ParseCounters reads an X-Mr-Counters header ("" is no counters) and
// checks it.
func ParseCounters(s string) (Counters, error) {
	var c Counters
	if s == "" {
		return c, nil
	}
	if len(s) > MaxCountersHeader {
		return Counters{}, errors.New("counters header too long")
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Counters{}, fmt.Errorf("counters header: %w", err)
	}
	if err := c.Check(); err != nil {
		return Counters{}, err
	}
	return c, nil
}
