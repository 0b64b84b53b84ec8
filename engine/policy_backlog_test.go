package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestAdaptiveBacklogCarriesAFractionOfAWorker checks the backlog rule of
// the adaptive policy's scale-down: the last worker goes when the load
// keeps it at most half busy and the queue, growing without it, takes at
// least a scale-down window to reach 70% of the target, and no scale-up
// happened within three windows; the reason says so.
func TestAdaptiveBacklogCarriesAFractionOfAWorker(t *testing.T) {
	// Workers take 0.5/s each (adLearned); 5 replicas, the queue empty.
	upAgo := func(d time.Duration) []engine.Observation {
		h := adLearned(2.1)
		up := engine.Observation{At: adNow.Add(-d), OK: true, Stats: h[0].Stats, Scale: engine.Scale{Desired: 4}, Applied: 5,
			Decision: engine.Decision{Recommendation: -1}}
		return append([]engine.Observation{up}, h...)
	}
	withWindow := func(w time.Duration) engine.Config { c := adConfig(); c.ScaleDownWindow = w; return c }
	tests := []struct {
		name    string
		cfg     engine.Config
		publish float64
		ready   int64
		hist    []engine.Observation
		want    int32
		reason  string
	}{
		// 2.1/s needs 4.2 workers; without the fifth the queue grows by
		// 0.1/s and takes 1,400 s to reach 140 (70% of 50 for 4).
		{"a fifth of a worker is carried", adConfig(), 2.1, 0, adLearned(2.1), 4,
			"keep only 4 workers busy at 0.50/s each; the backlog carries the last 0.2 of a worker: growing by 0.10/s without it, the queue takes 23m20s to reach 70% of the target (at least 5m0s)"},
		// 2.000000002/s: a vanishing fraction, whose fill time (7e10 s)
		// would overflow a Duration.
		{"a vanishing fraction is carried", adConfig(), 2.000000002, 0, adLearned(2.000000002), 4,
			"the queue takes over 1000h to reach 70% of the target"},
		// 2.4/s: 0.8 of a worker is more than half.
		{"a worker kept 80% busy stays", adConfig(), 2.4, 0, adLearned(2.4), 5, "holding 5"},
		// 2.2/s: the queue grows by 0.2/s; 115 waiting leave room for 25
		// more, 125 s, under the 5-minute window.
		{"too little room before the keep-up", adConfig(), 2.2, 115, adLearned(2.2), 5, "holding 5"},
		{"a scale-up 10 minutes ago", adConfig(), 2.1, 0, upAgo(10 * time.Minute), 5, "holding 5"},
		{"a scale-up 16 minutes ago is past", adConfig(), 2.1, 0, upAgo(16 * time.Minute), 4, "the backlog carries"},
		{"no scale-down window, no rule", withWindow(0), 2.1, 0, adLearned(2.1), 5, "holding 5"},
	}
	p, _ := engine.PolicyByName("adaptive")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := adStats(tt.ready+5, tt.ready, 5, tt.publish, 2)
			d := engine.Decide(p, engine.Input{Config: tt.cfg, Now: adNow, Current: 5, Stats: stats, History: tt.hist})
			if d.Desired != tt.want || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("Desired %d, want %d; reason %q does not say %q", d.Desired, tt.want, d.Reason, tt.reason)
			}
		})
	}
}
