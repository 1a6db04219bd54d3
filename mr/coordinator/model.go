// model.go: the job's model beyond one map and one reduce phase: its
// parameters, map-only jobs (each map task's records are its output, no
// shuffle) and total order (keys sent to the reduce tasks by ranges
// that a sample of the keys picks, so that the outputs are in order end
// to end).

package coordinator

import (
	"fmt"
	"maps"
	"time"

	"mapreduce/internal/protocol"
	"mapreduce/mr"
)

// model is what the job's shape adds to a coordinator; fixed once New
// returns, but shares (guarded by Coordinator.mu).
type model struct {
	params  map[string]string
	mapOnly bool
	cuts    []string // total order: NReduce-1 cut points; nil otherwise
	sample  *protocol.TotalOrder
	shares  []int64          // total order: text bytes of each committed mr-out-Y
	stream  *protocol.Stream // a streaming job's commands and files; nil for a plugin's
}

// newModel is the model cfg describes for a job of these map tasks: a
// total-order job's keys are sampled now, running the app's Map
// (cfg.sampler, or the plugin cfg.AppPlugin loaded).
func newModel(cfg Config, tasks [][]protocol.Split) (model, error) {
	m := model{params: maps.Clone(cfg.Params), mapOnly: cfg.MapOnly}
	if !cfg.TotalOrder {
		return m, nil
	}
	app := cfg.sampler
	if app == nil {
		var err error
		if app, err = mr.LoadPlugin(cfg.AppPlugin); err != nil {
			return m, fmt.Errorf("mr: -total-order samples the keys with the app's Map: %w", err)
		}
	}
	cuts, st, err := takeSample(app, m.params, tasks, cfg.NReduce)
	if err != nil {
		return m, err
	}
	m.cuts, m.sample, m.shares = cuts, st, make([]int64, cfg.NReduce)
	cfg.Logger.Info("keys sampled", "splits", st.Splits, "bytes", st.Bytes, "keys", st.Keys, "cuts", st.Cuts,
		"elapsed", (time.Duration(st.SampleMS) * time.Millisecond).String())
	return m, nil
}

// concatenated reports whether mr-<app>-all is the outputs one after the
// other rather than merged by key: they hold increasing ranges of keys
// (total order), or each is a map task's records in order (map-only).
func (m *model) concatenated() bool { return m.mapOnly || m.cuts != nil }

// fillRegistration tells a registering worker the job's shape.
func (m *model) fillRegistration(reply *protocol.RegisterReply) {
	reply.Params, reply.Cuts, reply.MapOnly, reply.Stream = m.params, m.cuts, m.mapOnly, m.stream
}

// viewLocked is the model as the status page and the summary show it;
// nil for a job of plain map and reduce without parameters.
func (m *model) viewLocked() *protocol.JobModel {
	if len(m.params) == 0 && !m.mapOnly && m.sample == nil && m.stream == nil {
		return nil
	}
	v := &protocol.JobModel{Params: m.params, MapOnly: m.mapOnly, Stream: m.stream}
	if m.sample != nil {
		to := *m.sample
		to.Shares = append([]int64(nil), m.shares...)
		to.Skew = skew(to.Shares)
		v.TotalOrder = &to
	}
	return v
}

// skew is the largest share over the mean share, 0 without any.
func skew(shares []int64) float64 {
	var sum, most int64
	for _, s := range shares {
		sum += s
		most = max(most, s)
	}
	if sum == 0 {
		return 0
	}
	return float64(most) * float64(len(shares)) / float64(sum)
}

// noteShare records the text bytes of reduce task r's committed output.
func (c *Coordinator) noteShare(r int, text int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r >= 0 && r < len(c.model.shares) {
		c.model.shares[r] = text
	}
}
