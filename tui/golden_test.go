package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/yeeter/yeetscale/engine"
)

// burstEngine is the demo burst as an operator sees it a few minutes in:
// auto-apply scaled up for the burst, then the operator switched to manual
// and a scale-down waits for approval.
func burstEngine(t *testing.T) (*engine.Controller, *engine.ManualClock) {
	ctl, clock := simEngine(t, 29, engine.ModeAuto)
	ctl.SetMode(engine.ModeManual, "operator")
	for i := 0; i < 4; i++ {
		clock.Advance(ctl.Snapshot().Config.PollInterval)
		ctl.Poll(context.Background())
	}
	clock.Advance(4 * time.Second)
	return ctl, clock
}

func TestConsoleGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			ctl, clock := burstEngine(t)
			m := New(context.Background(), ctl, testOptions(clock))
			defer m.Close()
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(sz[0], sz[1]))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("EVENTS")) },
				teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

func TestStatesGolden(t *testing.T) {
	stale := handSnapshot(6, 6, engine.ModeAuto)
	// Both unreadable for a minute: the Deployment's figures are as old
	// as the queue's.
	stale.Err = fmt.Errorf("get deployments/scale and rabbit: GET /api/queues/%%2F/orders: %w", errors.Join(engine.ErrUnavailable, errors.New("connection refused")))
	stale.ConsecutiveErrors, stale.Stale, stale.LastPoll = 4, true, t0.Add(50*time.Second)
	stale.Decision = engine.Decision{Desired: 6, Recommendation: -1, Held: true, Reason: "holding 6: the queue could not be read (unavailable)"}
	stale.Events = []engine.Event{
		{At: t0.Add(-50 * time.Second), Kind: engine.EventError, By: "auto", Message: "poll failed: unavailable"},
		{At: t0.Add(-10 * time.Minute), Kind: engine.EventScale, By: "operator", Message: "scaled 2 -> 6: 280 messages / 50 per replica = 6"},
		{At: t0.Add(-11 * time.Minute), Kind: engine.EventConfig, By: "operator", Message: "clamp [1, 10] -> [2, 10]"},
	}
	paused := handSnapshot(4, 4, engine.ModePaused)
	paused.Decision.Reason = "paused at 4: 120 messages / 50 per replica = 3"
	first := engine.Snapshot{Config: engine.DefaultConfig(), Proposed: -1, Decision: engine.Decision{Desired: -1, Recommendation: -1}}
	noData := noDataSnapshot()
	unknown := handSnapshot(3, 8, engine.ModeDryRun)
	unknown.Stats.PublishRate, unknown.Stats.DeliverRate, unknown.Stats.AckRate = engine.Rate{}, engine.Rate{}, engine.Rate{}
	tests := []struct {
		name string
		snap engine.Snapshot
		now  time.Time
		keys []string
	}{
		{"stale_error", stale, t0.Add(time.Minute), nil},
		{"paused", paused, t0.Add(3 * time.Second), nil},
		{"first_poll", first, t0, nil},
		{"no_data", noData, t0.Add(5 * time.Second), nil},
		{"dry_run_unknown_rates", unknown, t0.Add(2 * time.Second), nil},
		{"confirm_scale_down", handSnapshot(10, 2, engine.ModeManual), t0, []string{"a"}},
		{"full_help", handSnapshot(3, 3, engine.ModeManual), t0, []string{"?"}},
		{"too_small", handSnapshot(3, 3, engine.ModeManual), t0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := engine.NewManualClock(tt.now)
			m := New(context.Background(), newFakeEngine(tt.snap), testOptions(clock))
			w, h := 100, 30
			if tt.name == "too_small" {
				w, h = 50, 12
			}
			sized(m, w, h)
			for _, k := range tt.keys {
				m.Update(keyMsg(k))
			}
			golden.RequireEqual(t, []byte(m.View()))
		})
	}
}

// noDataSnapshot is the console's snapshot after three polls that could
// read neither the Deployment nor the queue (an unreachable apiserver).
func noDataSnapshot() engine.Snapshot {
	cfg := engine.DefaultConfig()
	s := engine.Snapshot{Seq: 3, At: t0, Config: cfg, Mode: engine.ModeManual, Polls: 3, LastPoll: t0, Stale: true, ConsecutiveErrors: 3,
		Err:      fmt.Errorf("get deployments/scale: %w", errors.Join(engine.ErrUnavailable, errors.New("dial tcp 127.0.0.1:1: connect: connection refused"))),
		Decision: engine.Decision{Recommendation: -1, Held: true, Reason: "holding: the deployment has not been read yet (unavailable)"},
		Events:   []engine.Event{{At: t0.Add(-30 * time.Second), Kind: engine.EventError, By: "auto", Message: "poll failed: unavailable"}},
	}
	for i := 0; i < 3; i++ {
		s.History = append(s.History, engine.Observation{At: t0.Add(-cfg.PollInterval * time.Duration(2-i)), Decision: s.Decision})
	}
	return s
}
