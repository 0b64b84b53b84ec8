package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestReplicaCount(t *testing.T) {
	for n, want := range map[int32]string{0: "0 replicas", 1: "1 replica", 2: "2 replicas", 1500: "1,500 replicas"} {
		if got := replicaCount(n); got != want {
			t.Errorf("replicaCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestEventsShowRepeats(t *testing.T) {
	p := newEventsPanel(NewStyles(nil, true), time.UTC)
	p.SetSize(60, 4)
	p.SetEvents([]engine.Event{{At: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), Kind: engine.EventError, By: "auto", Repeats: 4,
		Message: "scale 2 -> 17 failed: refused: HorizontalPodAutoscaler \"worker\" manages deployment yeeter/yeeter-worker"}})
	if v := p.View(); !strings.Contains(v, "×5 scale 2 -> 17") {
		t.Errorf("the repeated error does not show its count up front:\n%s", v)
	}
}

// TestSnapshotNewerThanTheTickMovesTheClock: in an accelerated demo a tick
// is many simulated seconds; a snapshot's own time keeps "next in" right.
func TestSnapshotNewerThanTheTickMovesTheClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	f := newFakeEngine(engine.Snapshot{At: start})
	m := New(context.Background(), f, Options{Now: func() time.Time { return start }, Tick: -1, NoColor: true})
	defer m.Close()
	s := engine.Snapshot{At: start.Add(30 * time.Second)}
	m.Update(snapshotMsg(s))
	if !m.now.Equal(s.At) {
		t.Errorf("now = %v after a snapshot at %v", m.now, s.At)
	}
	m.Update(snapshotMsg(engine.Snapshot{At: start.Add(10 * time.Second)}))
	if !m.now.Equal(s.At) {
		t.Errorf("an older snapshot moved the clock back to %v", m.now)
	}
}
