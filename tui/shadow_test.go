package tui

import (
	"context"
	"fmt"
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
		{"shadow_demo_160", "yeeter-worker (simulated hpa-keda)", 29, 160, 40, true},
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

// TestShadowPanelFits: at every width from the console's minimum, before
// and after the tally starts, and with short, long and very long
// ScaledObject names, the panel cuts no figure: the replicas show whole on
// the first line, the note shows whole or not at all, and the tally keeps
// its shares. Where there is room (160 columns and the demo's name), it
// shows everything whole, the note included.
func TestShadowPanelFits(t *testing.T) {
	const note = "KEDA scales; yeetscale only proposes"
	names := []string{"yeeter-worker", "yeeter-worker (simulated hpa-keda)", strings.Repeat("very-long-scaledobject-name-", 5)}
	ctl, _ := hpaShadowEngine(t, 29)
	tally := engine.NewShadowTally(ctl.Snapshot().Config)
	tally.Observe(ctl.Snapshot())
	tt := tally.Totals()
	share := func(d time.Duration) string { return fmt.Sprintf("%d%%", int(100*d/tt.Covered)) }
	first := engine.Snapshot{Config: engine.DefaultConfig(), Proposed: -1, Decision: engine.Decision{Desired: -1, Recommendation: -1}}
	for _, w := range []int{MinWidth, 80, 100, 120, 160, 200} {
		for _, name := range names {
			for _, started := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d %.20s tally %v", w, name, started), func(t *testing.T) {
					p := newShadowPanel(NewStyles(nil, true), Options{Namespace: "yeeter", Shadow: name})
					p.SetSize(w, shadowHeight)
					want := []string{"SHADOW", "HPA — · yeetscale —", "tally: from the second good poll on"}
					if !started {
						p.SetSnapshot(first)
					} else {
						p.SetSnapshot(ctl.Snapshot())
						want = []string{"SHADOW", fmt.Sprintf("HPA %d · yeetscale %d", tt.Live, tt.Proposed),
							"over " + age(tt.Covered), share(tt.LiveAbove), share(tt.ProposedAbove)}
					}
					v := p.View()
					lines := strings.Split(v, "\n")
					if len(lines) != shadowHeight {
						t.Fatalf("%d lines, want %d:\n%s", len(lines), shadowHeight, v)
					}
					for i, l := range lines {
						if lw := lipglossWidth(l); lw != w {
							t.Errorf("line %d is %d cells, want %d: %q", i, lw, w, l)
						}
					}
					for _, s := range want {
						if !strings.Contains(v, s) {
							t.Errorf("no %q in:\n%s", s, v)
						}
					}
					if !strings.Contains(lines[0], want[1]) {
						t.Errorf("the replicas are not whole on the first line:\n%s", v)
					}
					if strings.Contains(v, "KEDA scales") != strings.Contains(v, note) {
						t.Errorf("the note is cut:\n%s", v)
					}
					if w == 160 && !strings.Contains(name, "very-long") {
						for _, s := range []string{"ScaledObject yeeter/" + name, note} {
							if !strings.Contains(v, s) {
								t.Errorf("at 160 columns, no %q in:\n%s", s, v)
							}
						}
						if strings.Contains(v, "…") {
							t.Errorf("at 160 columns, something is cut:\n%s", v)
						}
					}
				})
			}
		}
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
