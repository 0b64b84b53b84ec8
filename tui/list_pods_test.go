package tui

import (
	"slices"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// TestListOpenedTargetWatchesPods: o in a target opened from the list asks
// that target's engine to observe its pods (the fleet's "poll now" polls
// the fleet), and o again stops it, as in the single-target console.
func TestListOpenedTargetWatchesPods(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	const key = "prod/reports"
	eng := watchingEngine{f.engines[key]}
	src := f.source()
	byKey := src.engine
	src.engine = func(k string) Engine {
		if k == key {
			return eng
		}
		return byKey(k)
	}
	l := newList(t.Context(), src, fleetOptions())
	t.Cleanup(l.Close)
	l.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	pressList(l, "j", "j", "j", "enter")
	if !l.open || l.focusKey != key {
		t.Fatalf("enter opened %q (open %v), want %s", l.focusKey, l.open, key)
	}
	pressList(l, "o", "o")
	if want, got := []string{"watch pods true", "watch pods false"}, eng.Calls(); !slices.Equal(got, want) {
		t.Fatalf("the opened target's engine got %q, want %q", got, want)
	}
	if len(f.polls) != 1 {
		t.Fatalf("%d fleet polls after o, want 1 (the pods at once)", len(f.polls))
	}
}
