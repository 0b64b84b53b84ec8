package sim

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestDemoEstateUnderTheFleet runs the real fleet in auto mode over the
// demo estate for three simulated hours, a poll every 15 s: the demo's
// burst is scaled at the first poll, the sleeper wakes and goes back to
// zero again and again, every runnable target is scaled, the broken one
// never, and both worlds of the two-queue Deployment keep its size and the
// same pods (its scale-downs choose the pods idle on both queues).
func TestDemoEstateUnderTheFleet(t *testing.T) {
	e, clock := demoEstate(t)
	fl, err := engine.NewFleet(engine.FleetOptions{Targets: e, Lister: e, Clock: clock, Mode: engine.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	ctx := context.Background()
	replicas := func(q string) int32 {
		s, err := e.queues[q].GetScale(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.Desired
	}
	started := map[string]int32{}
	for _, q := range e.QueueNames() {
		started[q] = replicas(q)
	}
	changed := map[string]bool{}
	var wakes, sleeps int
	asleep := replicas("billing.reports") == 0
	for i := range 3 * 240 {
		snap := fl.PollOnce(ctx, "auto")
		if i == 0 {
			if got := replicas("yeeter.simulation.orders"); got != 40 {
				t.Fatalf("yeeter-worker at %d replicas after the first poll, want 40 for its 10,000-message burst", got)
			}
		}
		for _, tg := range snap.Targets {
			if tg.Key() == "billing/payouts" && tg.Status != engine.StatusError {
				t.Fatalf("the broken target's status is %q", tg.Status)
			}
		}
		for _, q := range e.QueueNames() {
			if replicas(q) != started[q] {
				changed[q] = true
			}
		}
		switch n := replicas("billing.reports"); {
		case n == 0 && !asleep:
			sleeps++
			asleep = true
		case n > 0 && asleep:
			wakes++
			asleep = false
		}
		if eu, us := replicas("billing.ledger.eu"), replicas("billing.ledger.us"); eu != us {
			t.Fatalf("poll %d: ledger-sync has %d replicas on one queue and %d on the other", i, eu, us)
		}
		if eu, us := alivePods(e.queues["billing.ledger.eu"]), alivePods(e.queues["billing.ledger.us"]); !slices.Equal(eu, us) {
			t.Fatalf("poll %d: ledger-sync has pods %q on one queue and %q on the other", i, eu, us)
		}
		clock.Advance(15 * time.Second)
	}
	for _, q := range e.QueueNames() {
		if changed[q] == (q == "billing.payouts") {
			t.Errorf("queue %s: scaled %v, want every target scaled but the broken one", q, changed[q])
		}
	}
	// 12 cycles of 15 min: it wakes and sleeps in nearly every one.
	if wakes < 10 || sleeps < 10 {
		t.Errorf("billing/reports woke %d times and slept %d, want about 12 each over 3 hours", wakes, sleeps)
	}
}
