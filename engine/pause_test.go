package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestPauseKeepsTheScaleDownWindow is issue #12 item 12: with proportional
// (target 250, window 5 m) at 10 replicas, 2,500 messages hold 10 through
// a pause as long as the window; after resuming, a dip to 500 messages is
// held at 10 by the window, as in manual mode, rather than scaled to 2.
func TestPauseKeepsTheScaleDownWindow(t *testing.T) {
	tests := []struct {
		name   string
		during engine.Mode // the mode through the window before the dip
	}{
		{"manual throughout", engine.ModeManual},
		{"paused, then resumed", engine.ModePaused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig("proportional")
			cfg.ScaleDownWindow = 5 * time.Minute
			r := newRig(t, cfg, engine.ModeManual)
			r.sc.change(10)
			ctx := context.Background()
			r.src.set(engine.QueueStats{Messages: 2500, Ready: 2500, Consumers: 10})
			r.ctl.Poll(ctx)
			r.ctl.SetMode(tt.during, "operator")
			reported := false
			for range 5 * 4 { // 5 minutes of polls
				r.clock.Advance(15 * time.Second)
				s := r.ctl.Poll(ctx)
				if s.Proposed != 10 {
					t.Fatalf("at 2,500 messages: proposed %d, want 10 (%s)", s.Proposed, s.Decision.Reason)
				}
				if rec := s.History[len(s.History)-1].Decision.Recommendation; rec != 10 && !reported {
					t.Errorf("at 2,500 messages the history keeps recommendation %d, want the policy's 10", rec)
					reported = true
				}
			}
			r.ctl.SetMode(engine.ModeManual, "operator")
			r.clock.Advance(15 * time.Second)
			r.src.set(engine.QueueStats{Messages: 500, Ready: 500, Consumers: 10})
			s := r.ctl.Poll(ctx)
			if s.Proposed != 10 || s.Pending {
				t.Errorf("after the dip to 500: proposed %d (pending %v), want a hold at 10 by the window: %s", s.Proposed, s.Pending, s.Decision.Reason)
			}
		})
	}
}
