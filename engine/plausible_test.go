package engine_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestImplausibleStatisticsHold checks issue #12 item 6: statistics that
// cannot describe a real queue fail the poll (kind bad_response, a hold
// with the cause, no update), and consistent ones, within a statistics
// refresh's slack, still scale.
func TestImplausibleStatisticsHold(t *testing.T) {
	tests := []struct {
		name  string
		stats engine.QueueStats
		// reason is the hold's reason; "" means the poll must scale 2 -> 17.
		reason string
	}{
		{"messages at MaxInt64", engine.QueueStats{Messages: math.MaxInt64, Consumers: 2},
			"holding at 2: implausible queue statistics: messages 9,223,372,036,854,775,807 is beyond 1,000,000,000,000; check the broker"},
		{"messages below ready + unacked", engine.QueueStats{Messages: 10, Ready: 100000, Consumers: 2},
			"holding at 2: implausible queue statistics: messages 10 < ready 100,000 + unacked 0; check the broker"},
		{"messages above ready + unacked", engine.QueueStats{Messages: 4250, Ready: 100, Unacked: 50, Consumers: 2},
			"messages 4,250 > ready 100 + unacked 50"},
		{"negative ready", engine.QueueStats{Messages: 4250, Ready: -1, Unacked: 4251, Consumers: 2}, "ready -1 is negative"},
		{"negative unacked", engine.QueueStats{Messages: 4250, Ready: 4251, Unacked: -1, Consumers: 2}, "unacked -1 is negative"},
		{"negative consumers", engine.QueueStats{Messages: 4250, Ready: 4000, Unacked: 250, Consumers: -3}, "consumers -3 is negative"},
		{"absurd consumers", engine.QueueStats{Messages: 4250, Ready: 4000, Unacked: 250, Consumers: 2_000_000}, "consumers 2,000,000 is beyond 1,000,000"},
		{"ready at MaxInt64 (no overflow)", engine.QueueStats{Messages: 10, Ready: math.MaxInt64, Unacked: math.MaxInt64}, "ready 9,223,372,036,854,775,807 is beyond"},
		{"consistent", engine.QueueStats{Messages: 4250, Ready: 4000, Unacked: 250, Consumers: 2}, ""},
		{"off by the slack of a refresh", engine.QueueStats{Messages: 4250, Ready: 4010, Unacked: 250, Consumers: 2}, ""},
		{"1% off on a large queue", engine.QueueStats{Messages: 100_000, Ready: 98_000, Unacked: 1_000, Consumers: 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeAuto)
			r.src.set(tt.stats)
			s := r.ctl.Poll(context.Background())
			desired, _, sets, _ := r.sc.state()
			if tt.reason == "" {
				if s.Err != nil || sets != 1 || desired == 2 {
					t.Errorf("consistent statistics: Err %v, %d updates, deployment at %d; want a scale-up", s.Err, sets, desired)
				}
				return
			}
			if sets != 0 || desired != 2 {
				t.Errorf("acted on implausible statistics: %d updates, deployment at %d", sets, desired)
			}
			if engine.ErrorKind(s.Err) != "bad_response" || s.ConsecutiveErrors != 1 || !s.Decision.Held || s.Proposed != 2 || s.Errors["bad_response"] != 1 {
				t.Errorf("Err %v (kind %q), ConsecutiveErrors %d, Held %v, Proposed %d, Errors %v; want a failed poll of kind bad_response holding at 2",
					s.Err, engine.ErrorKind(s.Err), s.ConsecutiveErrors, s.Decision.Held, s.Proposed, s.Errors)
			}
			if !strings.Contains(s.Decision.Reason, tt.reason) || strings.Contains(s.Decision.Reason, "\n") {
				t.Errorf("reason %q, want one line containing %q", s.Decision.Reason, tt.reason)
			}
			if s.Stats == tt.stats {
				t.Errorf("the snapshot shows the implausible statistics as the last good ones")
			}
		})
	}
}
