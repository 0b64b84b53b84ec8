package engine

import "time"

// ShadowTally is the running comparison of a shadow run (yeetscale in
// dry-run beside another autoscaler, such as KEDA's HPA, that scales the
// Deployment): replica-seconds of the live replicas against replica-seconds
// of yeetscale's proposals, and the time the observed backlog was above
// the target per replica under each one's replica count. It reads the
// polls from the snapshots' history, so a consumer that skips snapshots
// (the console, a slow logger) misses no poll. Each interval between two
// good polls is scored with the first poll's values; an interval longer
// than three poll intervals (failed polls between) is skipped. It does no
// I/O and is not safe for concurrent use.
type ShadowTally struct {
	target int64
	count  Count
	maxGap time.Duration

	last   Observation
	have   bool
	totals ShadowTotals
}

// ShadowTotals is what a ShadowTally has added up.
type ShadowTotals struct {
	// Polls counts the good polls read; Covered is the time the scored
	// intervals span.
	Polls   int
	Covered time.Duration
	// LiveReplicaSeconds are the live replicas' (what the other autoscaler
	// ran), ProposedReplicaSeconds yeetscale's proposals'.
	LiveReplicaSeconds, ProposedReplicaSeconds float64
	// LiveAbove and ProposedAbove are the time the backlog per replica was
	// above the target under the live replicas and under the proposals.
	LiveAbove, ProposedAbove time.Duration
	// Live and Proposed are the latest good poll's replicas and proposal
	// (-1 before one).
	Live, Proposed int32
}

// NewShadowTally returns a tally that measures the backlog as c counts it
// against c's target (the other autoscaler's, as imported).
func NewShadowTally(c Config) *ShadowTally {
	return &ShadowTally{target: c.TargetMessages, count: c.Count, maxGap: 3 * c.PollInterval,
		totals: ShadowTotals{Live: -1, Proposed: -1}}
}

// Observe adds the good polls of s's history that are newer than the
// last one it read, and returns how many it added.
func (t *ShadowTally) Observe(s Snapshot) int {
	n := 0
	for _, o := range s.History {
		if !o.OK || o.Decision.Desired < 0 || (t.have && !o.At.After(t.last.At)) {
			continue
		}
		t.score(o)
		n++
	}
	return n
}

// score adds the interval from the previous good poll to o, scored with
// the previous poll's values, and keeps o.
func (t *ShadowTally) score(o Observation) {
	if p := t.last; t.have {
		if dt := o.At.Sub(p.At); dt > 0 && dt <= t.maxGap {
			tt := &t.totals
			depth := Config{Count: t.count}.Depth(p.Stats)
			live, proposed := p.Scale.Desired, p.Decision.Desired
			tt.Covered += dt
			tt.LiveReplicaSeconds += float64(live) * dt.Seconds()
			tt.ProposedReplicaSeconds += float64(proposed) * dt.Seconds()
			if depth > t.target*int64(live) {
				tt.LiveAbove += dt
			}
			if depth > t.target*int64(proposed) {
				tt.ProposedAbove += dt
			}
		}
	}
	t.last, t.have = o, true
	t.totals.Polls++
	t.totals.Live, t.totals.Proposed = o.Scale.Desired, o.Decision.Desired
}

// Totals returns what the tally has added up so far.
func (t *ShadowTally) Totals() ShadowTotals { return t.totals }
