package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// TestReplicasPanelShowsSleepingTarget checks that a target at zero under
// --min-replicas 0 reads "0 replicas, asleep; wakes at > N messages", and
// nothing else does.
func TestReplicasPanelShowsSleepingTarget(t *testing.T) {
	st := NewStyles(lipgloss.NewRenderer(nil), true)
	tests := []struct {
		name     string
		min      int32
		desired  int32
		act      int64
		pending  bool
		want     string
		wantNone bool
	}{
		{name: "asleep", min: 0, desired: 0, act: 0, want: "0 replicas, asleep; wakes at > 0 messages"},
		{name: "asleep with an activation", min: 0, desired: 0, act: 1500, want: "0 replicas, asleep; wakes at > 1,500 messages"},
		{name: "asleep, one message", min: 0, desired: 0, act: 1, want: "0 replicas, asleep; wakes at > 1 message"},
		{name: "awake", min: 0, desired: 3, wantNone: true},
		{name: "waking", min: 0, desired: 0, pending: true, wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := engine.Snapshot{Polls: 1, LastPoll: t0, LastGoodPoll: t0, ScaleRead: t0, Scale: engine.Scale{Desired: tt.desired}, Pending: tt.pending, Proposed: 4}
			s.Config = engine.DefaultConfig()
			s.Config.MinReplicas, s.Config.ActivationMessages = tt.min, tt.act
			head := replicasInfo(st, s, time.UTC)[0]
			if got := strings.Contains(head, "asleep"); got == tt.wantNone || !tt.wantNone && !strings.Contains(head, tt.want) {
				t.Errorf("head %q, want %q (asleep shown: %v)", head, tt.want, !tt.wantNone)
			}
		})
	}
}
