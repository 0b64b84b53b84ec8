package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestSetClampAndTarget(t *testing.T) {
	tests := []struct {
		name         string
		mode         engine.Mode
		poll         bool
		cmd          func(c *engine.Controller) error
		wantFlag     string // non-empty: the command must fail on this flag
		wantMin      int32
		wantMax      int32
		wantTarget   int64
		wantProposed int32
		wantEvent    string
	}{
		{"clamp lowers the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(2, 10, "operator") }, "", 2, 10, 250, 10, "clamp [1, 40] -> [2, 10]"},
		{"clamp raises the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(20, 30, "operator") }, "", 20, 30, 250, 20, "clamp [1, 40] -> [20, 30]"},
		{"target changes the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(500, "operator") }, "", 1, 40, 500, 9, "target 250 -> 500 messages per replica"},
		{"target with thousands", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(2000, "operator") }, "", 1, 40, 2000, 3, "target 250 -> 2,000"},
		{"auto mode waits for the next poll", engine.ModeAuto, true, func(c *engine.Controller) error { return c.SetClamp(1, 10, "operator") }, "", 1, 10, 250, 10, "clamp"},
		{"before any poll", engine.ModeManual, false, func(c *engine.Controller) error { return c.SetTarget(100, "operator") }, "", 1, 40, 100, -1, "target 250 -> 100"},
		{"min above max", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(5, 3, "operator") }, "min-replicas", 1, 40, 250, 17, ""},
		{"negative min", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(-1, 3, "operator") }, "min-replicas", 1, 40, 250, 17, ""},
		{"absurd max", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(1, 20000, "operator") }, "max-replicas", 1, 40, 250, 17, ""},
		{"zero target", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(0, "operator") }, "target-messages", 1, 40, 250, 17, ""},
		{"absurd target", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(2e9, "operator") }, "target-messages", 1, 40, 250, 17, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.mode)
			if tt.poll {
				r.ctl.Poll(context.Background())
			}
			if tt.mode == engine.ModeAuto {
				if d, _, _, _ := r.sc.state(); d != 17 {
					t.Fatalf("auto poll left the deployment at %d, want 17", d)
				}
			}
			before := r.ctl.Snapshot()
			_, gets, sets, _ := r.sc.state()
			reads := r.src.callCount()
			err := tt.cmd(r.ctl)
			s := r.ctl.Snapshot()
			if tt.wantFlag != "" {
				var ce *engine.ConfigError
				if !errors.As(err, &ce) || ce.Flag != tt.wantFlag {
					t.Fatalf("command = %v, want a *ConfigError on --%s", err, tt.wantFlag)
				}
				if s.Seq != before.Seq {
					t.Errorf("a refused command published a snapshot")
				}
			} else if err != nil {
				t.Fatalf("command = %v", err)
			}
			if s.Config.MinReplicas != tt.wantMin || s.Config.MaxReplicas != tt.wantMax || s.Config.TargetMessages != tt.wantTarget {
				t.Errorf("Config [%d, %d] target %d, want [%d, %d] target %d", s.Config.MinReplicas, s.Config.MaxReplicas, s.Config.TargetMessages, tt.wantMin, tt.wantMax, tt.wantTarget)
			}
			if s.Proposed != tt.wantProposed {
				t.Errorf("Proposed = %d, want %d (%s)", s.Proposed, tt.wantProposed, s.Decision.Reason)
			}
			if tt.wantEvent != "" && (s.Events[0].Kind != engine.EventConfig || !strings.Contains(s.Events[0].Message, tt.wantEvent) || s.Events[0].By != "operator") {
				t.Errorf("newest event %+v, want a config event by operator saying %q", s.Events[0], tt.wantEvent)
			}
			_, gets2, sets2, _ := r.sc.state()
			if gets2 != gets || sets2 != sets || r.src.callCount() != reads {
				t.Errorf("the command did I/O: GetScale %d -> %d, SetScale %d -> %d, Stats %d -> %d", gets, gets2, sets, sets2, reads, r.src.callCount())
			}
			if tt.mode == engine.ModeAuto {
				if !s.Pending {
					t.Errorf("auto: the new proposal should be pending until the next poll")
				}
				r.clock.Advance(15 * time.Second)
				r.ctl.Poll(context.Background())
				if d, _, _, _ := r.sc.state(); d != tt.wantProposed {
					t.Errorf("auto: after the next poll the deployment is at %d, want %d", d, tt.wantProposed)
				}
			}
		})
	}
}

// TestSetClampOnStaleStatisticsHolds checks that a changed clamp is not
// re-decided on statistics more than two poll intervals old: the proposal
// becomes a hold that says so.
func TestSetClampOnStaleStatisticsHolds(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.ctl.Poll(context.Background())
	r.clock.Advance(31 * time.Second) // just over 2 poll intervals, no poll since
	if err := r.ctl.SetClamp(2, 10, "operator"); err != nil {
		t.Fatal(err)
	}
	s := r.ctl.Snapshot()
	if !s.Decision.Held || s.Proposed != s.Scale.Desired || !strings.Contains(s.Decision.Reason, "stale") {
		t.Errorf("decision %+v (proposed %d, deployment %d), want a hold at the deployment's size saying stale", s.Decision, s.Proposed, s.Scale.Desired)
	}
}

func TestToggle(t *testing.T) {
	tests := []struct {
		name  string
		start engine.Mode
		steps []engine.Mode // Toggle arguments
		want  []engine.Mode // mode after each
	}{
		{"dry-run from manual and back", engine.ModeManual, []engine.Mode{engine.ModeDryRun, engine.ModeDryRun}, []engine.Mode{engine.ModeDryRun, engine.ModeManual}},
		{"pause from auto and back", engine.ModeAuto, []engine.Mode{engine.ModePaused, engine.ModePaused}, []engine.Mode{engine.ModePaused, engine.ModeAuto}},
		{"nested", engine.ModeAuto, []engine.Mode{engine.ModeDryRun, engine.ModePaused, engine.ModePaused, engine.ModeDryRun}, []engine.Mode{engine.ModeDryRun, engine.ModePaused, engine.ModeDryRun, engine.ModePaused}},
		{"auto toggles back to manual", engine.ModeManual, []engine.Mode{engine.ModeAuto, engine.ModeAuto}, []engine.Mode{engine.ModeAuto, engine.ModeManual}},
		{"manual stays manual", engine.ModeManual, []engine.Mode{engine.ModeManual}, []engine.Mode{engine.ModeManual}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.start)
			for i, m := range tt.steps {
				before := r.ctl.Snapshot()
				got := r.ctl.Toggle(m, "operator")
				s := r.ctl.Snapshot()
				if got != tt.want[i] || s.Mode != tt.want[i] {
					t.Fatalf("step %d: Toggle(%v) = %v, Snapshot.Mode = %v, want %v", i, m, got, s.Mode, tt.want[i])
				}
				if before.Mode != s.Mode {
					msg := fmt.Sprintf("mode %s -> %s", before.Mode, s.Mode)
					if s.Events[0].Kind != engine.EventConfig || s.Events[0].Message != msg {
						t.Errorf("step %d: newest event %+v, want %q", i, s.Events[0], msg)
					}
				} else if s.Seq != before.Seq {
					t.Errorf("step %d: an unchanged mode published a snapshot", i)
				}
			}
		})
	}
}
