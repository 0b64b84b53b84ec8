package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

// hpaShadowEngine is the demo burst in dry-run with a stand-in for KEDA's
// HPA scaling the world after every poll: ceil(depth / 250) within 2..40,
// at most double per step, down at once (no stabilization window).
func hpaShadowEngine(t *testing.T, polls int) (*engine.Controller, *engine.ManualClock) {
	clock := engine.NewManualClock(t0)
	sc := sim.Demo()
	cfg := sc.Config()
	world := sim.NewLive(sc, 2, clock)
	ctl, err := engine.New(engine.Options{Config: cfg, Source: world, Scaler: world, Clock: clock, Mode: engine.ModeDryRun})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < polls; i++ {
		if i > 0 {
			clock.Advance(cfg.PollInterval)
		}
		ctl.Poll(ctx)
		q, _ := world.Stats(ctx)
		cur, _ := world.GetScale(ctx)
		want := min(max(int32((q.Messages+249)/250), 2), 40, 2*cur.Desired)
		if err := world.SetScale(ctx, engine.ScaleRequest{From: cur, Replicas: want}); err != nil {
			t.Fatal(err)
		}
	}
	return ctl, clock
}

// TestShadowGolden shows the console of a shadow: the demo burst in
// dry-run, where a stand-in for KEDA's HPA scales the live replicas while
// yeetscale only proposes; the tally adds up every poll of the history.
// Also the live replicas held at 2, before the first poll, on the smallest
// terminal, and with a hostile ScaledObject name.
func TestShadowGolden(t *testing.T) {
	first := engine.Snapshot{Config: engine.DefaultConfig(), Proposed: -1, Decision: engine.Decision{Desired: -1, Recommendation: -1}}
	tests := []struct {
		name   string
		shadow string
		polls  int
		w, h   int
		hpa    bool
	}{
		{"shadow_burst", "yeeter-worker", 29, 120, 36, true},
		{"shadow_80x24", "yeeter-worker", 29, 80, 24, true},
		{"shadow_held_at_2", "yeeter-worker", 29, 120, 30, false},
		{"shadow_smallest", "yeeter-worker", 29, MinWidth, MinHeight, true},
		{"shadow_first_poll", "yeeter-worker", 0, 100, 30, false},
		{"shadow_hostile_name", "so\x1b[2J\nkind: Secret", 3, 100, 30, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var eng Engine = newFakeEngine(first)
			clock := engine.NewManualClock(t0)
			switch {
			case tt.hpa:
				eng, clock = hpaShadowEngine(t, tt.polls)
			case tt.polls > 0:
				eng, clock = simEngine(t, tt.polls, engine.ModeDryRun)
			}
			opts := testOptions(clock)
			opts.Shadow = tt.shadow
			m := New(context.Background(), eng, opts)
			defer m.Close()
			sized(m, tt.w, tt.h)
			v := m.View()
			requireScreen(t, v, tt.w, tt.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// TestShadowTallyInConsole: the panel shows the tally's numbers, and
// snapshots the console skipped lose no poll (it reads the history).
func TestShadowTallyInConsole(t *testing.T) {
	ctl, clock := simEngine(t, 10, engine.ModeDryRun)
	opts := testOptions(clock)
	opts.Shadow = "yeeter-worker"
	m := New(context.Background(), ctl, opts)
	defer m.Close()
	sized(m, 200, 40)
	want := engine.NewShadowTally(ctl.Snapshot().Config)
	want.Observe(ctl.Snapshot())
	tt := want.Totals()
	if tt.Polls != 10 || tt.Covered != 9*ctl.Snapshot().Config.PollInterval {
		t.Fatalf("the tally read %d polls over %s, want 10 over 9 poll intervals", tt.Polls, tt.Covered)
	}
	v := m.View()
	for _, s := range []string{"SHADOW of ScaledObject yeeter/yeeter-worker", "HPA " + replicasCell(tt.Live, -1, false), "yeetscale " + replicasCell(tt.Proposed, -1, false),
		"over " + age(tt.Covered), replicaSecondsRatio(tt), "HPA " + compact(tt.LiveReplicaSeconds) + ", yeetscale " + compact(tt.ProposedReplicaSeconds)} {
		if !strings.Contains(v, s) {
			t.Errorf("no %q in:\n%s", s, v)
		}
	}
	// Without a shadow, no panel.
	plain := New(context.Background(), ctl, testOptions(clock))
	defer plain.Close()
	if sized(plain, 200, 40); strings.Contains(plain.View(), "SHADOW") {
		t.Errorf("a console without a shadow shows one:\n%s", plain.View())
	}
}

func TestReplicaSecondsRatio(t *testing.T) {
	for _, tt := range []struct {
		live, proposed float64
		want           string
	}{
		{1600, 1000, "HPA ran 1.6x the replica-seconds"},
		{1000, 2500, "yeetscale proposed 2.5x the replica-seconds"},
		{700, 700, "same replica-seconds"},
		{0, 0, "same replica-seconds"},
		{12345, 0, "HPA ran 12.3k replica-seconds, yeetscale proposed none"},
		{0, 40, "yeetscale proposed 40 replica-seconds, the HPA ran none"},
	} {
		got := replicaSecondsRatio(engine.ShadowTotals{LiveReplicaSeconds: tt.live, ProposedReplicaSeconds: tt.proposed, Covered: time.Second})
		if got != tt.want {
			t.Errorf("%g vs %g: %q, want %q", tt.live, tt.proposed, got, tt.want)
		}
	}
}
