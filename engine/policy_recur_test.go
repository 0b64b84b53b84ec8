package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestAdaptiveRecurringBursts checks the hold the queue alone shows: bursts
// that recur within the scale-down window, each after the one before
// drained, hold the workers between them without a bounce first; bursts on
// top of each other, bursts further apart than the window, a single burst
// and bursts that stopped do not.
func TestAdaptiveRecurringBursts(t *testing.T) {
	cfg := adConfig()
	idle := adStats(0, 0, 10, 0.5, 0.5) // nothing waiting: 10 workers idle
	// at is a poll -ago seconds ago that saw messages, at 10 replicas.
	at := func(ago int, messages int64) engine.Observation {
		return engine.Observation{At: adNow.Add(-time.Duration(ago) * time.Second), OK: true,
			Stats: adStats(messages, messages, 10, 0.5, 5), Scale: engine.Scale{Desired: 10}, Applied: 10,
			Decision: engine.Decision{Recommendation: -1}}
	}
	// learned is a throughput of 0.5/s per worker learned long ago
	// (beyond three windows), as the polls below see it.
	learned := adHistory(3, adStats(1000, 990, 4, 0.5, 2))
	for i := range learned {
		learned[i].At = adNow.Add(-time.Duration(1000+15*(len(learned)-1-i)) * time.Second)
	}
	polls := func(os ...engine.Observation) []engine.Observation {
		return append(append([]engine.Observation{}, learned...), os...)
	}
	cases := []struct {
		name     string
		history  []engine.Observation
		want     int32
		contains string
	}{
		{"bursts every 3 minutes, drained in between: hold", polls(
			at(375, 0), at(360, 500), at(210, 40), at(195, 0), at(180, 500), at(30, 30), at(15, 0)),
			10, "comes in bursts: 2 bursts at most 3m0s apart, each after the one before drained"},
		{"three bursts", polls(
			at(555, 0), at(540, 500), at(375, 0), at(360, 500), at(195, 0), at(180, 500), at(15, 0)),
			10, "3 bursts at most 3m0s apart"},
		{"the second on top of the first: one big burst", polls(
			at(255, 0), at(240, 500), at(180, 450), at(165, 950), at(15, 0)),
			1, "scaling down"},
		{"further apart than the window", polls(
			at(615, 0), at(600, 500), at(255, 0), at(240, 500), at(15, 0)),
			1, "scaling down"},
		{"a single burst", polls(at(195, 0), at(180, 500), at(15, 0)), 1, "scaling down"},
		{"bursts that stopped a window ago", polls(
			at(675, 0), at(660, 500), at(495, 0), at(480, 500), at(315, 0), at(15, 0)),
			1, "scaling down"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			oldestFirst(t, tt.history)
			d := engine.Decide(engine.Adaptive{}, engine.Input{Config: cfg, Now: adNow, Stats: idle, Current: 10, Ready: 10, History: tt.history})
			if d.Desired != tt.want || d.Bursty != (tt.want == 10) || !strings.Contains(d.Reason, tt.contains) {
				t.Errorf("Decide = %d (bursty %v) %q; want %d containing %q", d.Desired, d.Bursty, d.Reason, tt.want, tt.contains)
			}
		})
	}
}
