package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestHeaderHintFollowsTheMode: with AutoHint, the header says what A
// does in the mode shown, and changes when the mode does; it never says it
// in read-only, nor without AutoHint. When the hint and the key's do not
// both fit, the key's shows alone.
func TestHeaderHintFollowsTheMode(t *testing.T) {
	const off, on = "A: auto off, approve by hand", "A: auto on"
	tests := []struct {
		name     string
		autoHint bool
		readOnly bool
		w        int
		modes    []engine.Mode
		want     []string // the header's second line ends with, per mode
		not      []string
	}{
		{"auto, then manual", true, false, 160, []engine.Mode{engine.ModeAuto, engine.ModeManual},
			[]string{"simulated · 10x · " + off, "simulated · 10x · " + on}, nil},
		{"manual, then auto", true, false, 160, []engine.Mode{engine.ModeManual, engine.ModeAuto},
			[]string{"simulated · 10x · " + on, "simulated · 10x · " + off}, nil},
		{"dry-run and paused", true, false, 160, []engine.Mode{engine.ModeDryRun, engine.ModePaused},
			[]string{"simulated · 10x · " + on, "simulated · 10x · " + on}, nil},
		{"narrow: the key's hint alone", true, false, 80, []engine.Mode{engine.ModeAuto, engine.ModeManual},
			[]string{off, "simulated · 10x · " + on}, []string{"…"}},
		{"read-only", true, true, 160, []engine.Mode{engine.ModeDryRun},
			[]string{"simulated · 10x"}, []string{"A:"}},
		{"no AutoHint", false, false, 160, []engine.Mode{engine.ModeAuto},
			[]string{"simulated · 10x"}, []string{"A:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := handSnapshot(3, 3, tt.modes[0])
			opts := testOptions(engine.NewManualClock(t0))
			opts.AutoHint, opts.ReadOnly = tt.autoHint, tt.readOnly
			m := sized(New(context.Background(), newFakeEngine(s), opts), tt.w, 30)
			defer m.Close()
			for i, mode := range tt.modes {
				s.Mode = mode
				m.Update(snapshotMsg(s))
				l2 := strings.TrimRight(strings.Split(m.View(), "\n")[1], " ")
				if !strings.HasSuffix(l2, tt.want[i]) {
					t.Errorf("in %s the header reads %q, want it to end with %q", mode, l2, tt.want[i])
				}
				for _, n := range tt.not {
					if strings.Contains(l2, n) {
						t.Errorf("in %s the header reads %q, with %q", mode, l2, n)
					}
				}
			}
		})
	}
}
