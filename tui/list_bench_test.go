package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// benchList is a 1,000-target list at 160x48, in colour, cursor halfway.
func benchList(b *testing.B) *List {
	b.Helper()
	opts := fleetOptions()
	opts.Out = nil
	l := newList(b.Context(), newFakeFleet(engine.ModeAuto, manyRows(1000)...).source(), opts)
	l.st = NewStyles(colourRenderer(), false)
	l.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for range 500 {
		l.move(1)
	}
	return l
}

// BenchmarkListView1000 renders a 1,000-row list at 160x48 (goal: under
// 2 ms): only the visible rows, from lines precomputed per snapshot.
func BenchmarkListView1000(b *testing.B) {
	l := benchList(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = l.View()
	}
}

// BenchmarkListRows1000 is Update with a new 1,000-row snapshot: every row's
// line is rebuilt, filtered and sorted.
func BenchmarkListRows1000(b *testing.B) {
	l := benchList(b)
	rows := manyRows(1000)
	b.ReportAllocs()
	for b.Loop() {
		l.Update(rowsMsg{Mode: engine.ModeAuto, Rows: rows})
	}
}
