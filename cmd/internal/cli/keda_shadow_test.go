package cli

import (
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestShadowTally scores polls by hand: each interval counts with its
// first poll's values, a failed poll or a repeated snapshot adds nothing,
// and a gap longer than three poll intervals is skipped.
func TestShadowTally(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.TargetMessages, cfg.PollInterval = 10, 10*time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := func(polls int, sec int, msgs int64, live, proposed int32) engine.Snapshot {
		s := engine.Snapshot{Polls: polls, LastGoodPoll: t0.Add(time.Duration(sec) * time.Second)}
		s.Stats.Messages, s.Scale.Desired, s.Decision.Desired = msgs, live, proposed
		return s
	}
	failed := snap(3, 30, 999, 99, 99)
	failed.ConsecutiveErrors = 1
	tally := newShadowTally(cfg)
	for _, s := range []engine.Snapshot{
		snap(1, 0, 50, 2, 5),   // 50 > 10*2: HPA above; 50 = 10*5: yeetscale not
		snap(1, 0, 50, 2, 5),   // the same poll again
		snap(2, 10, 10, 3, 1),  // 10 = 30? no; 10 = 10*1: neither above
		failed,                 // nothing
		snap(4, 20, 0, 3, 1),   // scores 10s of poll 2
		snap(5, 100, 0, 1, 1),  // 80 s gap: skipped
		snap(6, 110, 40, 1, 1), // scores poll 5: nothing above
		snap(7, 120, 40, 1, 1), // scores poll 6: both above
	} {
		tally.observe(s)
	}
	if tally.covered != 40*time.Second || tally.hpaRS != 2*10+3*10+1*10+1*10 || tally.proposedRS != 5*10+1*10+1*10+1*10 ||
		tally.hpaAbove != 20*time.Second || tally.proposedAbove != 10*time.Second {
		t.Errorf("covered %s, replica-seconds hpa %g yeetscale %g, above hpa %s yeetscale %s; want 40s, 70, 80, 20s, 10s",
			tally.covered, tally.hpaRS, tally.proposedRS, tally.hpaAbove, tally.proposedAbove)
	}
}
