package tui

import (
	"context"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// fullEngine is the demo world after a full history (600 polls).
func fullEngine(b *testing.B) (*engine.Controller, *engine.ManualClock) {
	b.Helper()
	return simEngine(b, engine.DefaultHistorySize+10, engine.ModeAuto)
}

// BenchmarkView renders the whole console at 160x48 with a full history
// (goal: under 1 ms).
func BenchmarkView(b *testing.B) {
	ctl, clock := fullEngine(b)
	m := sized(New(context.Background(), ctl, testOptions(clock)), 160, 48)
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkApplySnapshot is Update with a new snapshot at 160x48: the
// charts are rebuilt from the full history.
func BenchmarkApplySnapshot(b *testing.B) {
	ctl, clock := fullEngine(b)
	m := sized(New(context.Background(), ctl, testOptions(clock)), 160, 48)
	defer m.Close()
	s := ctl.Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Update(snapshotMsg(s))
	}
}
