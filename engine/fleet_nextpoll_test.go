package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestFleetTargetConsoleSeesItsNextPoll checks that a subscriber of a
// fleet target's controller (its console, opened from the fleet list)
// receives the time of the target's next poll after a round, not only
// the poll itself.
func TestFleetTargetConsoleSeesItsNextPoll(t *testing.T) {
	l := newFakeLister()
	tg := fleetTarget("ns", "d", "q")
	l.set(tg.Config.VHost, "q", 10)
	clock := engine.NewManualClock(t0)
	f := newTestFleet(t, newFakeTargets(tg), l, clock, engine.ModeManual)
	ch, stop := f.Controller(tg.Key()).Subscribe()
	defer stop()
	f.PollOnce(context.Background(), "once")
	want := t0.Add(tg.Config.PollInterval)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-ch:
			if s.Polls == 1 && s.NextPoll.Equal(want) {
				return
			}
		case <-deadline:
			t.Fatalf("the target's subscriber never saw NextPoll %v after its poll", want)
		}
	}
}
