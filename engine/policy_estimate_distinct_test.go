package engine_test

import (
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestEstimateArrivalsFromDistinctSamples: polls closer than the broker's
// 5 s statistics interval read the same rate sample again. At a 1 s poll,
// one sample of a 3,000-message spike (600/s) read by five polls must not
// become a sustained 600/s arriving, which sized the real lab's spike
// train to 40 replicas where the target asked for 12; at a 15 s poll every
// poll is its own sample.
func TestEstimateArrivalsFromDistinctSamples(t *testing.T) {
	// history: a quiet minute, then the spike's sample read by the last
	// polls before now (and now), every poll seconds.
	history := func(poll time.Duration, spikeReads int) ([]engine.Observation, engine.QueueStats) {
		quiet, spike := adStats(0, 0, 2, 0, 0), adStats(3000, 2998, 2, 600, 0)
		n := int(time.Minute/poll) + spikeReads
		h := make([]engine.Observation, n)
		for i := range h {
			s := quiet
			if i >= n-spikeReads+1 {
				s = spike
			}
			h[i] = engine.Observation{At: adNow.Add(-time.Duration(n-i) * poll), OK: true, Stats: s,
				Scale: engine.Scale{Desired: 2}, Applied: 2, Decision: engine.Decision{Recommendation: -1}}
		}
		return h, spike
	}
	tests := []struct {
		name        string
		poll        time.Duration
		spikeReads  int
		wantArrival float64
	}{
		{"1 s polls, one spike sample read five times: not a rate", time.Second, 5, 0},
		{"2 s polls, one spike sample read three times: not a rate", 2 * time.Second, 3, 0},
		{"15 s polls, five spike samples: a rate", 15 * time.Second, 5, 600},
		{"15 s polls, two spike samples: not a rate", 15 * time.Second, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := adConfig()
			cfg.PollInterval = tt.poll
			h, now := history(tt.poll, tt.spikeReads)
			e := engine.Estimate(engine.Input{Config: cfg, Now: adNow, Stats: now, Current: 2, Ready: 2, History: h})
			if !e.ArrivalKnown || e.Arrival != tt.wantArrival {
				t.Errorf("arrival %v (known %v), want %v", e.Arrival, e.ArrivalKnown, tt.wantArrival)
			}
		})
	}
}
