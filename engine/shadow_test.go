package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// shadowPolls are polls scored by hand (target 10 per replica, poll 10 s):
// each interval counts with its first poll's values, a failed poll adds
// nothing, a gap longer than three poll intervals is skipped.
func shadowPolls() []engine.Observation {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := func(sec int, msgs int64, live, proposed int32) engine.Observation {
		o := engine.Observation{At: t0.Add(time.Duration(sec) * time.Second), OK: true}
		o.Stats.Messages, o.Stats.Ready, o.Scale.Desired, o.Decision.Desired = msgs, msgs/2, live, proposed
		return o
	}
	failed := obs(30, 999, 99, 99)
	failed.OK = false
	undecided := obs(35, 999, 99, -1)
	return []engine.Observation{
		obs(0, 50, 2, 5),   // 50 > 10*2: live above; 50 = 10*5: proposed not
		obs(10, 10, 3, 1),  // 10 < 30; 10 = 10*1: neither above
		obs(20, 0, 3, 1),   // scores 10 s of the poll before
		failed,             // nothing
		undecided,          // no proposal: nothing
		obs(100, 0, 1, 1),  // 80 s gap: skipped
		obs(110, 40, 1, 1), // scores the poll before: nothing above
		obs(120, 40, 1, 0), // scores the poll before: both above
	}
}

// TestShadowTally feeds the polls one snapshot at a time, all in one
// snapshot (a consumer that skipped the others), and again (nothing new),
// and counts the ready messages under --count ready.
func TestShadowTally(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.TargetMessages, cfg.PollInterval = 10, 10*time.Second
	polls := shadowPolls()
	want := engine.ShadowTotals{Polls: 6, Covered: 40 * time.Second,
		LiveReplicaSeconds: 2*10 + 3*10 + 1*10 + 1*10, ProposedReplicaSeconds: 5*10 + 1*10 + 1*10 + 1*10,
		LiveAbove: 20 * time.Second, ProposedAbove: 10 * time.Second, Live: 1, Proposed: 0}

	oneByOne := engine.NewShadowTally(cfg)
	added := 0
	for i := range polls {
		added += oneByOne.Observe(engine.Snapshot{History: polls[:i+1]})
	}
	all := engine.NewShadowTally(cfg)
	all.Observe(engine.Snapshot{History: polls})
	again := all.Observe(engine.Snapshot{History: polls})
	for name, got := range map[string]engine.ShadowTotals{"one by one": oneByOne.Totals(), "all at once": all.Totals()} {
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	if added != 6 || again != 0 {
		t.Errorf("added %d polls one by one (want 6), %d on a repeated snapshot (want 0)", added, again)
	}

	// --count ready: the ready messages are half; only the live 2 replicas
	// of the first poll leave 25 above 20.
	cfg.Count = engine.CountReady
	ready := engine.NewShadowTally(cfg)
	ready.Observe(engine.Snapshot{History: polls})
	if got := ready.Totals(); got.LiveAbove != 20*time.Second || got.ProposedAbove != 10*time.Second {
		t.Errorf("--count ready: above live %s, proposed %s; want 20s (25 > 20, then 20 > 10), 10s", got.LiveAbove, got.ProposedAbove)
	}
	if empty := engine.NewShadowTally(cfg).Totals(); empty.Live != -1 || empty.Proposed != -1 || empty.Polls != 0 {
		t.Errorf("an empty tally: %+v; want live and proposed -1", empty)
	}
}

// TestShadowTallyOnController tallies a dry-run controller's snapshots as
// the console and --auto receive them: the live replicas stay at 2 while
// yeetscale proposes more.
func TestShadowTallyOnController(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.TargetMessages, cfg.PollInterval = 10, time.Second
	clock := engine.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	q := &fakeQueue{stats: engine.QueueStats{Messages: 60, Ready: 60, PublishRate: engine.Rate{Known: true}}}
	ctl, err := engine.New(engine.Options{Config: cfg, Source: q, Scaler: newFakeScaler(2), Clock: clock, Mode: engine.ModeDryRun})
	if err != nil {
		t.Fatal(err)
	}
	snaps, unsub := ctl.Subscribe()
	defer unsub()
	tally := engine.NewShadowTally(cfg)
	for i := 0; i < 5; i++ {
		if i > 0 {
			clock.Advance(cfg.PollInterval)
		}
		ctl.Poll(context.Background())
		if i%2 == 0 { // a consumer that skips every other snapshot
			tally.Observe(<-snaps)
		}
	}
	got := tally.Totals()
	if got.Polls != 5 || got.Covered != 4*time.Second || got.LiveReplicaSeconds != 8 || got.ProposedReplicaSeconds != 24 ||
		got.LiveAbove != 4*time.Second || got.ProposedAbove != 0 || got.Live != 2 || got.Proposed != 6 {
		t.Errorf("got %+v; want 5 polls over 4 s, 2 live against 6 proposed, the backlog above target only under the live count", got)
	}
}
