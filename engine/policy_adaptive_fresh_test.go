package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// A controller with no memory (a fresh --auto, or --once with no
// annotation) holds the size it found for one scale-down window, while it
// has learned nothing, instead of scaling down at its first poll: the lab's
// 4 -> 3 with 702 waiting at target 250. Its first decision records that
// size as its recommendation, so the window holds it poll after poll, and
// lets go once the window has passed.
func TestAdaptiveFreshControllerHoldsForOneWindow(t *testing.T) {
	cfg := adConfig()
	cfg.TargetMessages, cfg.MinReplicas, cfg.MaxReplicas = 250, 2, 40
	cfg.PollInterval = 2 * time.Second
	p, err := engine.PolicyByName("adaptive")
	if err != nil {
		t.Fatal(err)
	}
	start := adNow
	stats := adStats(702, 698, 4, unknown, unknown) // rates not known yet
	var hist []engine.Observation
	cur := int32(4)
	poll := func(at time.Time) engine.Decision {
		in := engine.Input{Config: cfg, Now: at, Stats: stats, Current: cur, Ready: cur, History: hist}
		d := engine.Decide(p, in)
		hist = append(hist, engine.Observation{At: at, OK: true, Stats: stats, Scale: engine.Scale{Desired: cur}, Decision: d, Applied: d.Desired})
		cur = d.Desired
		return d
	}
	tests := []struct {
		after  time.Duration
		want   int32
		reason string
	}{
		{0, 4, "holding 4: a controller with no history counts the 4 replicas it found as a recommendation for the 5m0s scale-down window"},
		{2 * time.Second, 4, "held at 4 by the 5m0s scale-down window"},
		{4*time.Minute + 58*time.Second, 4, "held at 4 by the 5m0s scale-down window"},
		{5*time.Minute + 2*time.Second, 3, "scaling down"},
	}
	for _, tt := range tests {
		d := poll(start.Add(tt.after))
		if d.Desired != tt.want || !strings.Contains(d.Reason, tt.reason) {
			t.Errorf("after %s: desired %d (%q), want %d saying %q", tt.after, d.Desired, d.Reason, tt.want, tt.reason)
		}
	}
}
